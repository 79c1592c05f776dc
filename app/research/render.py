"""Model Markdown as safe HTML: markdown-it-py with raw HTML off and links and images only to
http(s), then nh3 keeps only harmless tags and marks every link rel="noopener nofollow"."""

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code",
    "em", "strong", "a", "img", "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}


def _web_only(url: str) -> bool:
    return url.strip().lower().startswith(("http://", "https://"))


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")
    parser.validateLink = _web_only  # anything else stays text
    return parser


_MARKDOWN = _parser()


def markdown_html(text: str) -> Markup:
    """The Markdown as HTML that is safe to put in a page."""
    html = _MARKDOWN.render(text or "")
    return Markup(  # noqa: S704 - nh3 has just sanitised it
        nh3.clean(
            html,
            tags=TAGS,
            attributes=ATTRIBUTES,
            url_schemes={"http", "https"},
            link_rel="noopener nofollow",
        )
    )
