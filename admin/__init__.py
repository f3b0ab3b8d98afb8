"""The brand staff's console and its JSON API. So far: the code endpoints (issue 2)."""

from admin.codes import router

__all__ = ["router"]
