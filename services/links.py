"""Signed links in emails (an availability poll, an action update): what a refused link tells the person."""

from __future__ import annotations


class LinkRefused(Exception):
    """A link that is tampered with, for something else, expired, used, or for something closed.

    `status` is the HTTP answer: 404 for a link that names nothing, 410 for one that has ended.
    """

    def __init__(self, message: str, status: int = 404):
        super().__init__(message)
        self.status = status
