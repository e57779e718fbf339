"""Secrets and the rules that guard them: the password rules (`passwords`), secrets encrypted at rest (`secret_box`)."""
