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
    "photocms_caption latest lastest newest tinmoi tin-moi docnhieu doc-nhieu xemnhieu xem-nhieu "
    "mostread most-read mostview most-view"
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

#: Labels of page controls (buttons, share bars, bookmark and audio widgets) that end up glued
#: to an attribution or byline line when its box holds a button ("Theo Đời sống Pháp luật
#: Copy link"). Stripped (case-insensitive, whole words) from the ends of source and byline
#: lines; never a name of their own.
UI_LABELS = (
    "copy link",
    "copy link bài viết",
    "sao chép liên kết",
    "sao chép link",
    "sao chép",
    "link bài gốc",
    "xem bài gốc",
    "đọc bài gốc",
    "bài gốc",
    "chia sẻ",
    "share",
    "copy",
    "lưu bài",
    "lưu tin",
    "lưu bài viết",
    "đã lưu",
    "bình luận",
    "gửi bình luận",
    "theo dõi",
    "quan tâm",
    "in bài",
    "in bài viết",
    "nghe bài",
    "nghe bài viết",
    "nghe đọc bài",
    "nghe audio",
    "zalo",
    "facebook",
    "twitter",
    "email",
    "print",
    "save",
    "tweet",
    "follow",
)

#: UI labels that are also Vietnamese words of names ("Lưu" is a surname, "In" a word): only
#: stripped next to another label, or written in lower case as buttons are.
UI_LABELS_AMBIGUOUS = ("lưu", "in", "gửi", "thích", "nghe", "đóng")

#: Whole-line headings of boxes inside an article body that are not story text: "TIN MỚI"
#: over a recent-news list, "Tin liên quan", "Có thể bạn quan tâm"… (compared case- and
#: accent-insensitively, a trailing colon allowed).
BOX_HEADINGS = (
    "tin mới",
    "tin mới nhất",
    "tin mới cập nhật",
    "tin liên quan",
    "bài liên quan",
    "bài viết liên quan",
    "tin cùng chuyên mục",
    "tin cùng chủ đề",
    "tin khác",
    "các tin khác",
    "bài khác",
    "tin nổi bật",
    "nổi bật",
    "đọc nhiều",
    "đọc nhiều nhất",
    "xem nhiều",
    "xem nhiều nhất",
    "có thể bạn quan tâm",
    "bạn có thể quan tâm",
    "đọc tiếp",
    "xem tiếp",
    "xem thêm",
    "đọc thêm",
    "tin đã đưa",
    "tin bài liên quan",
    "related",
    "related news",
    "related articles",
    "read more",
    "most read",
    "latest news",
    "more news",
)

#: Names of news outlets and agencies that "Theo X" lines credit, folded for comparison
#: (lower case, no accents, no spaces): tells the outlet from the person in "Theo A/B" and
#: "Theo A (B)" lines when both are written like names ("Theo Minh Anh/Tiền Phong"), and an
#: outlet from a person in an ``author`` field. A name that is all capitals (TTXVN, VTV),
#: CamelCase (VnExpress), a domain, or holds lower-case words ("Đời sống Pháp luật") is read
#: as an outlet without being listed here.
OUTLET_NAMES = _words(
    "tienphong tuoitre thanhnien laodong nguoilaodong nhandan dantri danviet vietnamnet "
    "vnexpress vietnamplus zing znews zingnews kenh14 soha genk cafef cafebiz afamily "
    "doisongphapluat phapluat phapluattphcm plo congannhandan cand quandoinhandan qdnd "
    "tintuc baotintuc thongtanxavietnam ttxvn vna vov vtv vtc vtcnews vnmedia infonet "
    "ictnews vietnamfinance nhipsongkinhdoanh tapchitaichinh thoibaotaichinh baodautu "
    "dautu diendandoanhnghiep doanhnhansaigon saigongiaiphong sggp giaoducthoidai "
    "giaoduc suckhoedoisong kinhtedothi hanoimoi anninhthudo antt congthuong "
    "baochinhphu chinhphu moitruong nongnghiep vietnamnews tiepthi 24h eva "
    "reuters afp ap bloomberg cnn bbc xinhua tanhoaxa sputnik tass rianovosti yonhap "
    "kyodo nikkei cnbc guardian nytimes washingtonpost wsj ft aljazeera"
)

#: What an error page says instead of an article (a "soft 404": a page served with status 200
#: that says the article is gone or the link is wrong), in lower case; looked for in the visible
#: text of a page whose article text is short (vnnews.pagekind.error_page).
ERROR_PAGE_PHRASES = (
    "không tìm thấy trang",
    "không tìm thấy đường dẫn",
    "không tìm thấy bài viết",
    "không tìm thấy nội dung",
    "trang bạn tìm",
    "trang bạn yêu cầu",
    "đường dẫn không tồn tại",
    "bài viết không tồn tại",
    "nội dung không tồn tại",
    "trang không tồn tại",
    "liên kết không tồn tại",
    "bài viết đã bị xóa",
    "bài viết đã bị gỡ",
    "nội dung đã bị gỡ",
    "lỗi 404",
    "error 404",
    "404 not found",
    "page not found",
    "the page you requested",
    "this page could not be found",
)
