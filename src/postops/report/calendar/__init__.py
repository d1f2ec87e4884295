"""`postops calendar` rendered: text for a terminal, Markdown to read, an iCalendar feed to subscribe to, one self-contained HTML
page to open. The data is a report.calendar.model.Calendar."""

from __future__ import annotations

from postops.report._common import Renderer
from postops.report.calendar import html, ics, markdown, text

FORMATS: dict[str, Renderer] = {
    "text": text.render,
    "markdown": markdown.render,
    "ics": ics.render,
    "html": html.render,
}
