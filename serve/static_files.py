"""The triage page's files, each served with the media type its browser needs.

`StaticFiles` takes the media type from the operating system's table (`mimetypes`), which is not
always right: on Windows it comes from the registry, where ``.js`` is often ``text/plain``, and a
browser refuses to run an ES module (``<script type="module">``) served as anything but JavaScript.
The page's own file types are therefore fixed here.
"""

from __future__ import annotations

import os
from pathlib import PurePath

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

PAGE_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


class PageFiles(StaticFiles):
    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        media_type = PAGE_MEDIA_TYPES.get(PurePath(full_path).suffix.lower())
        if media_type is not None and response.status_code != 304:  # a 304 has no body to type
            response.headers["content-type"] = media_type
        return response
