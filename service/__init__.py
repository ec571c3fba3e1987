"""Interfaces: the `xuequ` command line and the HTTP API."""
