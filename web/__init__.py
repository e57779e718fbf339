"""The web pages outside the admin screens, and what every page shares.

Blueprints: `auth` (sign-in, second factor, organisation sign-in, sign-out), `availability` (a member's poll
link), `action_links` (an owner's chase link), `health`
(the load balancer's check that the database answers). Shared by every page: `forms` (the form base, fields and
validators), `errors` (error pages) and `headers` (the CSP and other security headers).
"""
