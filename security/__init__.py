"""Secrets and the rules that guard them: the password rules (`passwords`)."""
