"""The console's routes, one module per area: account (sign-in), district, exams, term, api."""
