"""SQLAlchemy 2 typed ORM: the one place that knows tables."""
