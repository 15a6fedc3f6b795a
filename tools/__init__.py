"""Developer tools run from a checkout (`make screenshots`); not part of the installed package."""
