"""The project's vocabulary: what schema.org types and class names mean to it.

One place for the words every component reads markup with: the schema.org types that make a
JSON-LD object an article (dates, headline, authors and the page kind all read the same set),
the organisation types (an ``author`` of one of them is an outlet, not a person), and the
class/id words that mark boilerplate inside or around an article body.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: schema.org ``@type`` values (lower case, without the ``http://schema.org/`` prefix) of an
#: article: CreativeWork subtypes a news page uses for its main story.
ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "reportagenews",  # not schema.org, but written by sites
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "askpublicnewsarticle",
        "blogposting",
        "liveblogposting",
        "scholarlyarticle",
        "techarticle",
        "report",
        "socialmediaposting",
    }
)

#: ``@type`` values of an organisation: an ``author`` typed so is the outlet, not a person.
ORGANIZATION_TYPES = frozenset(
    {"organization", "newsmediaorganization", "corporation", "governmentorganization"}
)

#: Class/id *tokens* (whole words between ``-``, ``_`` or spaces) of boilerplate inside an
#: article body: related boxes, share bars, ads, comments, captions, author boxes, tags.
BOILERPLATE_CLASS_TOKENS = _words(
    "related relate relates tinlienquan tin-lien-quan box-relate boxrelate share social sharing "
    "comment comments advert ads adv banner rennab sda_middle breadcrumb caption newsletter "
    "recommend readmore read-more see-more seemore xem-them xemthem author byline tag tags "
    "photocms_caption"
)

#: VCCorp-style ``type=`` attribute values of embedded boxes that are not body text.
BOILERPLATE_BOX_TYPES = _words(
    "relatedonenews relatednewsbox relatednews photo video videostream layoutalbum "
    "insertarticlerelate wrapnote"
)

#: Class *fragments* (substrings) of blocks removed from any guessed body: related/"see also"
#: boxes, ads and players.
BOILERPLATE_CLASS_FRAGMENTS = _words(
    "relate relation lien-quan lienquan xem-them xemthem readmore quangcao quang-cao "
    "newsletter video-player"
)

#: Class/id fragments (regular expressions) of an ancestor that makes a block page furniture,
#: never the article body: menus, footers, comment threads, "other news" and trending lists.
NOT_BODY_ANCESTOR = (
    r"relate",
    r"lien-?quan",
    r"xem-?them",
    r"comment",
    r"footer",
    r"\bmenu",
    r"\bnav\b",
    r"share",
    r"social",
    r"tinkhac",
    r"tin-khac",
    r"box-category",
    r"most-read",
    r"trending",
)
