"""The HTTP service that consumers' mini-programs, WeChat scans and dealers' PDAs call.

So far: genuineness checks of a scanned code. Scans that win rewards arrive with issue 3.
"""

from scan_api.routes import router

__all__ = ["router"]
