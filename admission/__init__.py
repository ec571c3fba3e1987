"""Enrollment in a shared zone (大学区招生) and the verifiable lottery (电脑随机派位): pure rules.

`rules.admit` applies the seeds' rule (choice order, then points; lottery schools draw), `lottery`
makes and checks the published draw, `deferred_acceptance` is the what-if, `explain` the reasons in
plain words, `io` the files (FORMAT.md beside this file). No database here.
"""
