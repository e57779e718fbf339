"""Web hardening: response headers and cross-site refusals (`headers`), the password rules (`passwords`)."""

from security.headers import csp_nonce, init_app

__all__ = ["csp_nonce", "init_app"]
