//! `drillbot bank import`: turns an interview-question list written in Markdown or plain text (the kind people
//! keep in blog posts and GitHub repositories) into a DRAFT topic file to review by hand.
//!
//! [`import`] is a pure function from the source text and a topic key to the questions found and a report;
//! [`render_toml`] writes them in the bank format (every question `draft = true`, no key points: those are
//! never invented) and [`write_topic_file`] saves the result without overwriting by accident.
//!
//! The importer works in passes over the lines of the source:
//!
//! 1. fenced code blocks (```` ``` ```` and `~~~`) are found first: nothing inside one is ever a heading, a
//!    question or junk, and code is copied verbatim;
//! 2. page junk is removed: like/comment/favourite/reward/share widgets and read counters, image placeholders,
//!    tables of contents, reference-link lines, "原文链接" and copyright lines, blog footers, front matter;
//! 3. structure is found: ATX, setext and HTML headings (a `#` line that is really a comment of unfenced code
//!    is not a heading) and `<details>` blocks;
//! 4. the document's question style is decided once, from counts of candidates: `<details>` summaries, bold
//!    question lines, a numbered sequence of lines, leaf headings, or lines ending with a question mark (or
//!    carrying a trailing date such as `(2021/4/6-2)`);
//! 5. the style is applied: a question runs from its title to the next question or heading. A heading whose
//!    children are headings is a category, not a question; so is a lone leaf among category siblings.
//!
//! Titles are cleaned (numbering, `Q:` prefixes, trailing dates and counters, Markdown, full-width
//! punctuation); answers are the source text with junk removed, code kept verbatim.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Difficulty given to every imported question (the reviewer adjusts it).
pub const IMPORTED_DIFFICULTY: u8 = 2;
/// The tag given to every imported question.
pub const IMPORTED_TAG: &str = "imported";
/// The answer written for a question that had none in the source (the loader needs a non-empty answer).
pub const MISSING_ANSWER: &str = "TODO：原文没有答案，请补充。";

/// One question found in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedQuestion {
    /// `<topic>-imported-<n>`, n from 001 in source order.
    pub id: String,
    /// The question, cleaned.
    pub title: String,
    /// The answer in Markdown, empty when the source had none.
    pub answer: String,
    /// Whether the source had an answer.
    pub has_answer: bool,
    /// 1-based line of the title in the source.
    pub line: usize,
}

/// How the questions of a document are marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Leaf headings (`## 12. ...`, `### Q: ...`), under optional category headings.
    Headings,
    /// `<details><summary>question</summary> answer </details>` blocks.
    Details,
    /// Lines in bold that are numbered or end with a question mark (`**1. ...**`).
    BoldLines,
    /// A numbered sequence of lines (`1. xxx?`, `2、xxx`, `Q3: xxx`).
    NumberedLines,
    /// Plain-text notes: lines ending with a question mark, or with a trailing date such as `(2021/4/6)`.
    QuestionLines,
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Style::Headings => "headings",
            Style::Details => "<details> blocks",
            Style::BoldLines => "bold question lines",
            Style::NumberedLines => "numbered lines",
            Style::QuestionLines => "lines ending with a question mark",
        })
    }
}

/// A part of the source that did not become a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// 1-based line where it starts.
    pub line: usize,
    /// What it was, in plain words.
    pub what: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

/// What the importer found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// The question style the document was read with; `None` when no question was found.
    pub style: Option<Style>,
    /// Questions found.
    pub questions: usize,
    /// Questions with an answer in the source.
    pub with_answers: usize,
    /// Questions without one.
    pub without_answers: usize,
    /// Headings that are not questions, text outside any question, junk removed, in source order.
    pub skipped: Vec<Skipped>,
}

/// The result of [`import`].
#[derive(Debug, Clone)]
pub struct Imported {
    /// The topic key.
    pub topic: String,
    /// Questions in source order.
    pub questions: Vec<ImportedQuestion>,
    /// Counts and skipped parts.
    pub report: ImportReport,
}

/// Why an import could not be done or saved.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The topic key is not a valid key.
    #[error(
        "topic \"{0}\" must be lowercase letters, digits and '-' (for example `network` or `my-notes`)"
    )]
    InvalidTopic(String),
    /// The output file exists and `force` was not given.
    #[error("{} already exists; refusing to overwrite it (use --force to replace it)", .0.display())]
    Exists(PathBuf),
    /// Creating the directory or writing the file failed.
    #[error("cannot write {}: {error}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The system error.
        error: io::Error,
    },
}

/// Whether `s` is a valid topic key: lowercase letters, digits and '-', not starting or ending with '-'.
pub fn is_topic_key(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Finds the questions of `source` (Markdown or plain text) for topic `topic`.
pub fn import(source: &str, topic: &str) -> Result<Imported, ImportError> {
    if !is_topic_key(topic) {
        return Err(ImportError::InvalidTopic(topic.to_string()));
    }
    let mut skipped = Vec::new();
    let mut lines = split_lines(source);
    mark_fences(&mut lines);
    remove_front_matter(&mut lines, &mut skipped);
    remove_junk(&mut lines, &mut skipped);
    let mut lines = split_details_tags(lines);
    let blocks = mark_details(&mut lines);
    mark_headings(&mut lines);
    let heads = classify_headings(&lines);

    let (style, starts) = choose_questions(&lines, &heads, &blocks);

    let mut consumed = vec![false; lines.len()];
    let mut questions = Vec::new();
    for start in &starts {
        consumed[start.li] = true;
        for &i in &start.answer {
            consumed[i] = true;
        }
        if let Some((a, b)) = start.consume {
            consumed[a..b].iter_mut().for_each(|c| *c = true);
        }
        let title = normalize_title(&start.title);
        if title.is_empty() {
            skipped.push(Skipped {
                line: lines[start.li].no,
                what: "a question with an empty title".into(),
            });
            continue;
        }
        let answer = build_answer(&lines, &start.answer);
        questions.push(ImportedQuestion {
            id: String::new(),
            has_answer: !answer.is_empty(),
            title,
            answer,
            line: lines[start.li].no,
        });
    }
    for (n, q) in questions.iter_mut().enumerate() {
        q.id = format!("{topic}-imported-{:03}", n + 1);
    }
    // When questions are lines, section lines like `二、操作系统` are categories too.
    let mut outline = heads.clone();
    if matches!(
        style,
        Some(Style::BoldLines | Style::NumberedLines | Style::QuestionLines)
    ) {
        outline.extend(
            lines
                .iter()
                .enumerate()
                .filter(|(_, l)| l.section)
                .map(|(li, l)| Head {
                    li,
                    level: 7,
                    title: normalize_title(&l.text),
                    role: HeadRole::Category,
                }),
        );
        outline.sort_by_key(|h| h.li);
    }
    report_unused(&lines, &outline, style, &starts, &consumed, &mut skipped);
    skipped.sort_by_key(|s| s.line);
    let with_answers = questions.iter().filter(|q| q.has_answer).count();
    let report = ImportReport {
        style: if questions.is_empty() { None } else { style },
        questions: questions.len(),
        with_answers,
        without_answers: questions.len() - with_answers,
        skipped,
    };
    Ok(Imported {
        topic: topic.to_string(),
        questions,
        report,
    })
}

/// Renders imported questions as a topic file in the bank format (see `content/README.md`): every question a
/// draft with difficulty 2, the tag `imported` and no key points. `source` names the imported file in the
/// header comment.
pub fn render_toml(imported: &Imported, source: &str) -> String {
    let topic = &imported.topic;
    let r = &imported.report;
    let mut out = String::new();
    let source = comment_safe(source);
    out.push_str(&format!(
        "# Imported by `drillbot bank import` from {source}: {} questions, {} with an answer, {} without.\n",
        r.questions, r.with_answers, r.without_answers
    ));
    out.push_str(
        "# DRAFT. For every question: check the question and the answer against a reliable source, rewrite\n\
         # them in your own words, set difficulty and tags, write 3 to 6 key points ([[questions.points]]),\n\
         # then remove `draft = true`. `drillbot bank check DIR` validates the file.\n",
    );
    out.push_str(&format!("topic = {}\n", basic_string(topic)));
    out.push_str(&format!(
        "name = {}              # TODO: the Chinese display name\n",
        basic_string(topic)
    ));
    out.push_str(&format!(
        "name_en = {}           # TODO: the English display name\n",
        basic_string(topic)
    ));
    for q in &imported.questions {
        out.push_str("\n[[questions]]\n");
        out.push_str(&format!("id = {}\n", basic_string(&q.id)));
        out.push_str(&format!("difficulty = {IMPORTED_DIFFICULTY}\n"));
        out.push_str(&format!("tags = [{}]\n", basic_string(IMPORTED_TAG)));
        out.push_str("draft = true\n");
        out.push_str(&format!("# source line {}\n", q.line));
        out.push_str(&format!("question = {}\n", basic_string(&q.title)));
        if q.has_answer {
            out.push_str(&format!("answer = {}\n", multiline_string(&q.answer)));
        } else {
            out.push_str("# the source has no answer for this question\n");
            out.push_str(&format!("answer = {}\n", basic_string(MISSING_ANSWER)));
        }
    }
    out
}

/// Writes `contents` to `<dir>/<topic>.toml`, creating `dir` if needed. An existing file is replaced only when
/// `force` is set. Returns the path written.
pub fn write_topic_file(
    dir: &Path,
    topic: &str,
    contents: &str,
    force: bool,
) -> Result<PathBuf, ImportError> {
    if !is_topic_key(topic) {
        return Err(ImportError::InvalidTopic(topic.to_string()));
    }
    fs::create_dir_all(dir).map_err(|error| ImportError::Io {
        path: dir.to_path_buf(),
        error,
    })?;
    let path = dir.join(format!("{topic}.toml"));
    let io_err = |error| ImportError::Io {
        path: path.clone(),
        error,
    };
    if force {
        fs::write(&path, contents).map_err(io_err)?;
    } else {
        let mut file = match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(ImportError::Exists(path));
            }
            Err(e) => return Err(io_err(e)),
        };
        file.write_all(contents.as_bytes()).map_err(io_err)?;
    }
    Ok(path)
}

// ---------------------------------------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blank,
    Text,
    /// Inside a fenced code block, delimiters included.
    Code,
    /// Junk, removed.
    Removed,
}

/// The part a line plays in a `<details>` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Plain,
    DetailsOpen,
    DetailsClose,
    SummaryOpen,
    SummaryClose,
    Summary,
}

#[derive(Debug, Clone)]
struct Line {
    /// 1-based line in the source.
    no: usize,
    text: String,
    kind: Kind,
    /// Level and raw title when the line is a heading.
    heading: Option<(u8, String)>,
    /// On an opening fence line: the delimiter that closes it.
    fence_open: Option<String>,
    /// On a closing fence line.
    fence_close: bool,
    role: Role,
    /// How many `<details>` blocks this line is inside (tag lines count as inside).
    depth: usize,
    /// A plain section line like `二、操作系统`: a category boundary when questions are lines.
    section: bool,
}

impl Line {
    fn new(no: usize, text: String) -> Line {
        let kind = if text.trim().is_empty() {
            Kind::Blank
        } else {
            Kind::Text
        };
        Line {
            no,
            text,
            kind,
            heading: None,
            fence_open: None,
            fence_close: false,
            role: Role::Plain,
            depth: 0,
            section: false,
        }
    }

    fn is_text(&self) -> bool {
        self.kind == Kind::Text
    }

    /// Ordinary text at the top level: not a heading, not in `<details>`, not a quote or a table row.
    fn is_body_text(&self) -> bool {
        let t = self.text.trim_start();
        self.is_text()
            && self.heading.is_none()
            && !self.section
            && self.depth == 0
            && self.role == Role::Plain
            && !t.starts_with('>')
            && !t.starts_with('|')
    }

    /// Whether the line carries content (text or code), not blank or junk.
    fn is_content(&self) -> bool {
        matches!(self.kind, Kind::Text | Kind::Code)
    }
}

fn split_lines(source: &str) -> Vec<Line> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let source = source.replace("\r\n", "\n").replace('\r', "\n");
    let source = source.strip_suffix('\n').unwrap_or(&source);
    source
        .split('\n')
        .enumerate()
        .map(|(i, l)| Line::new(i + 1, l.to_string()))
        .collect()
}

/// A fence delimiter: its character, its length and whether it has an info string.
fn fence_marker(line: &str) -> Option<(char, usize, bool)> {
    let t = line.trim_start();
    let c = t.chars().next()?;
    if c != '`' && c != '~' {
        return None;
    }
    let n = t.chars().take_while(|&x| x == c).count();
    if n < 3 {
        return None;
    }
    let info = t[n..].trim();
    if c == '`' && info.contains('`') {
        return None;
    }
    Some((c, n, !info.is_empty()))
}

/// Marks fenced code blocks (any indentation, as sloppy documents indent them inside lists). An unclosed
/// fence runs to the end of the document. Code stays verbatim; other lines lose trailing whitespace.
fn mark_fences(lines: &mut [Line]) {
    let mut open: Option<(char, usize)> = None;
    for line in lines.iter_mut() {
        if open.is_none() && fence_marker(&line.text).is_none() {
            line.text.truncate(line.text.trim_end().len());
        }
        match open {
            None => {
                if let Some((c, n, _)) = fence_marker(&line.text) {
                    open = Some((c, n));
                    line.kind = Kind::Code;
                    line.fence_open = Some(c.to_string().repeat(n));
                }
            }
            Some((c, n)) => {
                line.kind = Kind::Code;
                if let Some((c2, n2, info)) = fence_marker(&line.text)
                    && c2 == c
                    && n2 >= n
                    && !info
                {
                    line.fence_close = true;
                    open = None;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Junk
// ---------------------------------------------------------------------------------------------------------

/// YAML front matter (`---` ... `---` at the very top) is not content.
fn remove_front_matter(lines: &mut [Line], skipped: &mut Vec<Skipped>) {
    let Some(first) = lines.iter().position(|l| l.kind != Kind::Blank) else {
        return;
    };
    if lines[first].kind != Kind::Text || lines[first].text.trim() != "---" {
        return;
    }
    let end = lines
        .iter()
        .enumerate()
        .skip(first + 1)
        .take(60)
        .find(|(_, l)| l.is_text() && matches!(l.text.trim(), "---" | "..."))
        .map(|(i, _)| i);
    let Some(end) = end else { return };
    let looks_like_yaml = lines[first + 1..end]
        .iter()
        .filter(|l| l.is_text())
        .all(|l| l.text.contains(':') || l.text.trim_start().starts_with('-'));
    if !looks_like_yaml {
        return;
    }
    for l in &mut lines[first..=end] {
        l.kind = Kind::Removed;
    }
    skipped.push(Skipped {
        line: lines[first].no,
        what: "front matter".into(),
    });
}

const WIDGET_WORDS: &[&str] = &[
    "点赞",
    "赞",
    "收藏",
    "评论",
    "打赏",
    "分享",
    "关注",
    "已关注",
    "取消关注",
    "加关注",
    "关注作者",
    "关注我",
    "举报",
    "转发",
    "喜欢",
    "踩",
    "赞赏",
    "在看",
    "一键收藏",
    "阅读",
    "阅读数",
    "阅读量",
    "次阅读",
    "人阅读",
    "浏览",
    "浏览量",
    "次浏览",
    "浏览次数",
    "访问量",
    "人点赞",
    "个赞",
    "条评论",
    "点赞数",
    "收藏数",
    "评论数",
    "人收藏",
    "分享到",
    "分享至",
    "发表评论",
    "写评论",
    "查看评论",
    "微信",
    "微博",
    "QQ空间",
    "like",
    "likes",
    "comment",
    "comments",
    "share",
    "favorite",
    "favourite",
    "views",
    "reads",
    "follow",
    "followers",
];

/// A line made only of page widgets and their counters: `点赞 12`, `收藏`, `阅读 123`, `1.2k 阅读`.
fn is_widget_line(u: &str) -> bool {
    if u.chars().count() > 40 {
        return false;
    }
    if u.starts_with("觉得还不错") && u.contains("收藏") {
        return true;
    }
    let mut any = false;
    for tok in u
        .split(|c: char| c.is_whitespace() || "|·•/，,".contains(c))
        .filter(|t| !t.is_empty())
    {
        let has_digit = tok.chars().any(|c| c.is_ascii_digit());
        let mut word: String = tok
            .chars()
            .filter(|c| !(c.is_ascii_digit() || ".,+()（）:：#".contains(*c)))
            .collect();
        if has_digit {
            word = word
                .trim_matches(|c: char| "kKwW万".contains(c))
                .to_string();
        }
        if word.is_empty() {
            continue;
        }
        if WIDGET_WORDS.iter().any(|w| w.eq_ignore_ascii_case(&word)) {
            any = true;
        } else {
            return false;
        }
    }
    any
}

/// A bullet carrying only a number (`• 12`), as widget counters are rendered.
fn is_count_line(t: &str) -> bool {
    let u = t
        .trim()
        .trim_start_matches(['•', '·', '-', '*', '+'])
        .trim();
    !u.is_empty() && u.len() <= 8 && u.chars().all(|c| c.is_ascii_digit())
}

/// `[1]: http://...`: a reference-link definition.
fn is_reference_definition(t: &str) -> bool {
    let Some(rest) = t.strip_prefix('[') else {
        return false;
    };
    let Some(close) = rest.find("]:") else {
        return false;
    };
    if close == 0 || rest[..close].starts_with('^') {
        return false;
    }
    let target = rest[close + 2..].trim_start().trim_start_matches('<');
    target.starts_with("http") || target.starts_with("www.") || target.starts_with('/')
}

/// Junk lines: widgets, image placeholders, reference links, "原文链接", copyright and promotion lines, and
/// the buttons blogs put around code.
fn is_junk_line(t: &str) -> bool {
    let u = strip_list_marker(t);
    let u = u.trim();
    if u.is_empty() {
        return false;
    }
    if is_widget_line(u) || is_reference_definition(t) {
        return true;
    }
    const EXACT: &[&str] = &[
        "图片",
        "图片描述",
        "登录后复制",
        "复制代码",
        "复制",
        "展开阅读全文",
        "阅读全文",
        "收起",
        "展开",
        "运行",
        "AI写代码",
        "版权",
        "目录",
        "目 录",
        "文章目录",
    ];
    if EXACT.contains(&u) {
        return true;
    }
    let short = u.chars().count() <= 200;
    const META: &[&str] = &[
        "原文链接",
        "原文地址",
        "原文出处",
        "本文链接",
        "文章链接：",
        "转载请注明",
        "版权声明",
        "著作权归作者所有",
        "版权归作者所有",
        "本文为博主原创文章",
        "CC 4.0 BY-SA",
        "商业转载请联系",
        "非商业转载请注明",
        "未经允许不得转载",
        "禁止转载",
    ];
    if short && META.iter().any(|m| u.contains(m)) {
        return true;
    }
    let lower = u.to_ascii_lowercase();
    if short
        && (lower.starts_with("copyright")
            || u.starts_with('©')
            || lower.contains("all rights reserved"))
    {
        return true;
    }
    if u.starts_with("最新推荐文章于")
        || u.starts_with("分类专栏")
        || u.starts_with("文章标签")
        || u.starts_with("代码语言：")
        || (u.starts_with("于 ") && u.ends_with("发布"))
        || (u.starts_with("已于") && u.contains("修改"))
    {
        return true;
    }
    short
        && u.contains("公众号")
        && ["关注", "扫码", "搜索", "回复", "微信"]
            .iter()
            .any(|w| u.contains(w))
}

/// Lines that start a blog footer (recommendations, red packets, payment); everything after one is junk.
fn is_footer_marker(t: &str) -> bool {
    let u = t.trim_matches(|c: char| c.is_whitespace() || "“”\"'‘’".contains(c));
    (u.contains("相关推荐") && u.contains("对你有帮助"))
        || u == "添加红包"
        || u.starts_with("请填写红包祝福语")
        || u.starts_with("抵扣说明")
        || u.starts_with("文章知识点与官方知识档案匹配")
        || matches!(u, "相关推荐" | "猜你喜欢" | "热门推荐")
}

/// A list item that is only a link to an anchor of the same page: a table of contents.
fn is_anchor_link_line(t: &str) -> bool {
    let u = strip_list_marker(t.trim());
    let u = strip_numbering(u.trim());
    let u = u.trim();
    u.starts_with('[') && u.ends_with(')') && u.contains("](#") && !u[1..].contains("](http")
}

/// Removes images, image placeholders, invisible characters and HTML comments from a text line.
fn clean_inline(s: &str) -> String {
    let mut out: String = s.chars().filter(|&c| !is_invisible(c)).collect();
    // CSDN: [外链图片转存失败,源站可能有防盗链机制,...(img-xxx)(https://...)]
    while let Some(p) = out.find("外链图片转存失败") {
        let start = out[..p].rfind('[').unwrap_or(p);
        let start = if out[..start].ends_with('!') {
            start - 1
        } else {
            start
        };
        let end = out[p..].find(")]").map(|e| p + e + 2).unwrap_or(out.len());
        out.replace_range(start..end, "");
    }
    // ![alt](url)
    while let Some(p) = out.find("![") {
        let Some(mid) = out[p..].find("](").map(|m| p + m) else {
            break;
        };
        let Some(end) = out[mid..].find(')').map(|e| mid + e + 1) else {
            break;
        };
        out.replace_range(p..end, "");
    }
    // <img ...>
    while let Some(p) = out.to_ascii_lowercase().find("<img") {
        let end = out[p..].find('>').map(|e| p + e + 1).unwrap_or(out.len());
        out.replace_range(p..end, "");
    }
    // <!-- comment --> on one line
    while let Some(p) = out.find("<!--") {
        let Some(end) = out[p..].find("-->").map(|e| p + e + 3) else {
            break;
        };
        out.replace_range(p..end, "");
    }
    for placeholder in ["在这里插入图片描述", "[图片]", "【图片】"] {
        out = out.replace(placeholder, "");
    }
    out
}

fn is_toc_marker(t: &str) -> bool {
    let l = t.trim().to_ascii_lowercase();
    matches!(
        l.as_str(),
        "[toc]" | "[[toc]]" | "[[_toc_]]" | "{:toc}" | "@[toc]" | "[目录]" | "{{toc}}" | "${toc}"
    ) || l.starts_with("@[toc](")
}

/// Removes page junk, tables of contents and blog footers (outside code).
fn remove_junk(lines: &mut [Line], skipped: &mut Vec<Skipped>) {
    let n = lines.len();
    let mut junk_first = None;
    let mut junk_count = 0usize;
    let mut widget = vec![false; n];
    // Tables of contents between <!-- toc --> markers.
    let mut i = 0;
    while i < n {
        let l = lines[i].text.trim().to_ascii_lowercase();
        if lines[i].is_text() && (l == "<!-- toc -->" || l == "<!--toc-->") {
            let end = (i + 1..n).find(|&j| {
                let t = lines[j].text.trim().to_ascii_lowercase();
                lines[j].is_text() && matches!(t.as_str(), "<!-- tocstop -->" | "<!-- /toc -->")
            });
            if let Some(end) = end {
                for l in &mut lines[i..=end] {
                    l.kind = Kind::Removed;
                }
                skipped.push(Skipped {
                    line: lines[i].no,
                    what: "table of contents".into(),
                });
                i = end;
            }
        }
        i += 1;
    }
    for i in 0..n {
        if !lines[i].is_text() {
            continue;
        }
        let t = lines[i].text.trim().to_string();
        if is_toc_marker(&t) {
            lines[i].kind = Kind::Removed;
            skipped.push(Skipped {
                line: lines[i].no,
                what: "table of contents".into(),
            });
            continue;
        }
        let cleaned = clean_inline(&lines[i].text);
        // A heading is never junk: sections like 版权声明 are classified with the outline.
        let heading = atx_heading(&cleaned).is_some() || html_heading(&cleaned).is_some();
        let junk = cleaned.trim().is_empty() || (!heading && is_junk_line(cleaned.trim()));
        if junk {
            widget[i] = is_widget_line(strip_list_marker(cleaned.trim()).trim());
            lines[i].kind = Kind::Removed;
            junk_first.get_or_insert(lines[i].no);
            junk_count += 1;
        } else {
            lines[i].text = cleaned.trim_end().to_string();
        }
    }
    // Counters rendered on their own line next to a widget ("• 12" then "点赞").
    for i in 0..n {
        if lines[i].is_text() && is_count_line(&lines[i].text) {
            let next = (i + 1..n).find(|&j| lines[j].kind != Kind::Blank);
            if next.is_some_and(|j| widget[j]) {
                lines[i].kind = Kind::Removed;
                junk_count += 1;
            }
        }
    }
    // Anchor-link lists: tables of contents.
    let mut i = 0;
    while i < n {
        if lines[i].is_text() && is_anchor_link_line(&lines[i].text) {
            let start = i;
            while i < n
                && (lines[i].kind == Kind::Blank
                    || (lines[i].is_text() && is_anchor_link_line(&lines[i].text)))
            {
                if lines[i].is_text() {
                    lines[i].kind = Kind::Removed;
                }
                i += 1;
            }
            skipped.push(Skipped {
                line: lines[start].no,
                what: "table of contents (links to sections of the page)".into(),
            });
        } else {
            i += 1;
        }
    }
    // Blog footers: only in the second half of the document.
    let footer = (n / 2..n).find(|&i| lines[i].is_text() && is_footer_marker(&lines[i].text));
    if let Some(mut start) = footer {
        while start > 0 {
            let p = &lines[start - 1];
            let skippable = matches!(p.kind, Kind::Blank | Kind::Removed)
                || (p.is_text() && is_count_line(&p.text));
            if !skippable {
                break;
            }
            start -= 1;
        }
        let first = (start..n)
            .find(|&i| lines[i].kind != Kind::Blank)
            .unwrap_or(start);
        for l in &mut lines[start..] {
            l.kind = Kind::Removed;
        }
        skipped.push(Skipped {
            line: lines[first].no,
            what: "page footer (likes, comments, recommendations, rewards)".into(),
        });
    }
    if let Some(first) = junk_first {
        skipped.push(Skipped {
            line: first,
            what: format!(
                "{junk_count} junk line{} removed (widgets, image placeholders, reference links, copyright)",
                if junk_count == 1 { "" } else { "s" }
            ),
        });
    }
}

// ---------------------------------------------------------------------------------------------------------
// <details>
// ---------------------------------------------------------------------------------------------------------

/// Puts `<details>`, `<summary>`, `</summary>` and `</details>` tags on lines of their own.
fn split_details_tags(lines: Vec<Line>) -> Vec<Line> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let lower = line.text.to_ascii_lowercase();
        if !line.is_text() || !(lower.contains("<details") || lower.contains("<summary")) {
            out.push(line);
            continue;
        }
        let mut rest = line.text.as_str();
        loop {
            let lower = rest.to_ascii_lowercase();
            let found = ["<details", "</details>", "<summary", "</summary>"]
                .iter()
                .filter_map(|tag| lower.find(tag).map(|p| (p, *tag)))
                .min_by_key(|(p, _)| *p);
            let Some((p, tag)) = found else {
                if !rest.trim().is_empty() {
                    out.push(Line::new(line.no, rest.trim_end().to_string()));
                }
                break;
            };
            let end = if tag.ends_with('>') {
                p + tag.len()
            } else {
                rest[p..].find('>').map(|e| p + e + 1).unwrap_or(rest.len())
            };
            if !rest[..p].trim().is_empty() {
                out.push(Line::new(line.no, rest[..p].trim_end().to_string()));
            }
            out.push(Line::new(line.no, rest[p..end].trim().to_string()));
            rest = &rest[end..];
        }
    }
    out
}

/// A `<details>` block: lines `open..close` (close is the `</details>` line or the end).
#[derive(Debug, Clone)]
struct DetailsBlock {
    open: usize,
    close: usize,
    /// First line after `</summary>`.
    body: usize,
    summary: String,
    summary_line: usize,
    top_level: bool,
}

fn mark_details(lines: &mut [Line]) -> Vec<DetailsBlock> {
    let mut blocks = Vec::new();
    let mut stack: Vec<usize> = Vec::new(); // indexes into blocks
    let mut in_summary = false;
    for i in 0..lines.len() {
        if lines[i].kind == Kind::Code {
            lines[i].depth = stack.len();
            continue;
        }
        let lower = lines[i].text.trim().to_ascii_lowercase();
        if lines[i].is_text() && lower.starts_with("<details") {
            lines[i].role = Role::DetailsOpen;
            blocks.push(DetailsBlock {
                open: i,
                close: lines.len(),
                body: i + 1,
                summary: String::new(),
                summary_line: lines[i].no,
                top_level: stack.is_empty(),
            });
            stack.push(blocks.len() - 1);
            lines[i].depth = stack.len();
        } else if lines[i].is_text() && lower == "</details>" {
            lines[i].role = Role::DetailsClose;
            lines[i].depth = stack.len();
            if let Some(b) = stack.pop() {
                blocks[b].close = i;
            }
            in_summary = false;
        } else if lines[i].is_text() && lower.starts_with("<summary") {
            lines[i].role = Role::SummaryOpen;
            lines[i].depth = stack.len();
            in_summary = !stack.is_empty();
            if let Some(&b) = stack.last() {
                blocks[b].body = i + 1;
                blocks[b].summary_line = lines[i].no;
            }
        } else if lines[i].is_text() && lower == "</summary>" {
            lines[i].role = Role::SummaryClose;
            lines[i].depth = stack.len();
            in_summary = false;
            if let Some(&b) = stack.last() {
                blocks[b].body = i + 1;
            }
        } else {
            lines[i].depth = stack.len();
            if in_summary && lines[i].is_text() {
                lines[i].role = Role::Summary;
                if let Some(&b) = stack.last() {
                    let s = &mut blocks[b].summary;
                    if !s.is_empty() {
                        s.push(' ');
                    }
                    s.push_str(lines[i].text.trim());
                }
            }
        }
    }
    blocks
}

/// A summary that labels an answer ("答案", "Show answer", "代码") rather than asking a question.
fn is_generic_summary(summary: &str) -> bool {
    let label: String = strip_html_tags(summary)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    const LABELS: &[&str] = &[
        "答案",
        "参考答案",
        "查看答案",
        "点击查看答案",
        "点击查看",
        "点击展开",
        "展开",
        "查看",
        "解析",
        "查看解析",
        "答案解析",
        "详情",
        "详解",
        "代码",
        "示例",
        "示例代码",
        "输出",
        "运行结果",
        "提示",
        "answer",
        "showanswer",
        "solution",
        "showsolution",
        "clicktoexpand",
        "clicktoseeanswer",
        "clicktoshow",
        "expand",
        "details",
        "code",
        "example",
        "output",
        "hint",
        "more",
    ];
    if label.is_empty() || LABELS.contains(&label.as_str()) {
        return true;
    }
    label.chars().count() <= 8
        && ["答案", "answer", "解析", "展开", "expand", "solution"]
            .iter()
            .any(|w| label.contains(w))
}

// ---------------------------------------------------------------------------------------------------------
// Headings
// ---------------------------------------------------------------------------------------------------------

fn atx_heading(line: &str) -> Option<(u8, String)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let t = &line[indent..];
    let n = t.bytes().take_while(|&b| b == b'#').count();
    if n == 0 || n > 6 {
        return None;
    }
    let rest = &t[n..];
    let spaced = rest.is_empty() || rest.starts_with([' ', '\t']);
    // `#标题` without a space is common in Chinese notes; `#include` and `#!/bin/sh` are not headings.
    let cjk = rest.chars().next().is_some_and(is_cjk);
    if !spaced && !cjk {
        return None;
    }
    let mut title = rest.trim();
    let without_closing = title.trim_end_matches('#');
    if without_closing.len() != title.len()
        && (without_closing.is_empty() || without_closing.ends_with([' ', '\t']))
    {
        title = without_closing.trim_end();
    }
    Some((n as u8, title.to_string()))
}

/// `<h2>Title</h2>` on one line.
fn html_heading(line: &str) -> Option<(u8, String)> {
    let t = line.trim();
    let lower = t.to_ascii_lowercase();
    let b = lower.as_bytes();
    if b.len() < 9 || b[0] != b'<' || b[1] != b'h' || !(b'1'..=b'6').contains(&b[2]) {
        return None;
    }
    if b[3] != b'>' && b[3] != b' ' {
        return None;
    }
    let level = b[2] - b'0';
    let close = format!("</h{level}>");
    if !lower.ends_with(&close) {
        return None;
    }
    let open_end = t.find('>')? + 1;
    let inner = &t[open_end..t.len() - close.len()];
    Some((level, inner.trim().to_string()))
}

/// `二、操作系统`, `第三章 数据库`: a short section title written as plain text.
fn is_section_line(t: &str) -> bool {
    const CN: &str = "零一二三四五六七八九十百";
    let (num, rest) = match t.strip_prefix('第') {
        Some(r) => {
            let n = r
                .char_indices()
                .find(|(_, c)| !(c.is_ascii_digit() || CN.contains(*c)))
                .map_or(r.len(), |(i, _)| i);
            match r[n..].strip_prefix(['章', '节', '部', '篇']) {
                Some(x) => (n, x.trim_start_matches('分')),
                None => return false,
            }
        }
        None => {
            let n = t
                .char_indices()
                .find(|(_, c)| !CN.contains(*c))
                .map_or(t.len(), |(i, _)| i);
            match t[n..].strip_prefix(['、', '.', '．']) {
                Some(x) => (n, x),
                None => return false,
            }
        }
    };
    let rest = rest.trim_start_matches([' ', ':', '：']).trim();
    num > 0
        && !rest.is_empty()
        && rest.chars().count() <= 30
        && !rest.ends_with(['?', '？', '。', '，', ',', ';', '；', ':', '：'])
}

fn is_thematic_break(t: &str) -> bool {
    let s: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    s.len() >= 3
        && (s.chars().all(|c| c == '-')
            || s.chars().all(|c| c == '*')
            || s.chars().all(|c| c == '_'))
}

fn is_list_item(t: &str) -> bool {
    let t = t.trim_start();
    t.starts_with(['-', '*', '+', '•', '·']) || parse_numbered(t).is_some()
}

/// Finds headings (outside code and `<details>`), drops thematic breaks, and demotes `#` lines that are
/// comments of unfenced code.
fn mark_headings(lines: &mut [Line]) {
    let n = lines.len();
    for i in 0..n {
        if !lines[i].is_text() || lines[i].depth > 0 || lines[i].role != Role::Plain {
            continue;
        }
        let text = lines[i].text.clone();
        if let Some(h) = atx_heading(&text).or_else(|| html_heading(&text)) {
            lines[i].heading = Some(h);
            continue;
        }
        // Setext: a one-line paragraph underlined with === or ---.
        let t = text.trim();
        let prev_open = i == 0
            || matches!(lines[i - 1].kind, Kind::Blank | Kind::Removed)
            || lines[i - 1].heading.is_some();
        if prev_open
            && i + 1 < n
            && lines[i + 1].is_text()
            && lines[i + 1].depth == 0
            && !t.starts_with(['>', '|'])
            && !is_list_item(t)
            && !is_thematic_break(t)
            && t.chars().count() <= 120
        {
            let u: String = lines[i + 1]
                .text
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let level = if u.len() >= 3 && u.chars().all(|c| c == '=') {
                Some(1)
            } else if u.len() >= 3 && u.chars().all(|c| c == '-') {
                Some(2)
            } else {
                None
            };
            if let Some(level) = level {
                lines[i].heading = Some((level, t.to_string()));
                lines[i + 1].kind = Kind::Blank;
                lines[i + 1].text.clear();
                continue;
            }
        }
        if is_thematic_break(t) {
            lines[i].kind = Kind::Blank;
            lines[i].text.clear();
        } else if indent_of(&text) == 0 && is_section_line(t) {
            lines[i].section = true;
        }
    }
    // `# client` right above `import socket`: a comment of code that lost its fence.
    for i in 0..n {
        if lines[i].heading.is_none() || atx_heading(&lines[i].text).is_none() {
            continue;
        }
        let next_code = i + 1 < n
            && lines[i + 1].is_text()
            && lines[i + 1].heading.is_none()
            && looks_like_code(&lines[i + 1].text);
        let prev_code = i > 0
            && lines[i - 1].is_text()
            && lines[i - 1].heading.is_none()
            && looks_like_code(&lines[i - 1].text);
        if next_code || prev_code {
            lines[i].heading = None;
        }
    }
}

/// Whether a line looks like source code (Python, shell, C-like), for code that lost its fence.
fn looks_like_code(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() {
        return false;
    }
    let ascii = t.is_ascii();
    if t.starts_with("//")
        || t.starts_with("/*")
        || t.starts_with("#include")
        || t.starts_with("#!")
        || t.starts_with("$ ")
        || matches!(t, "{" | "}" | "};" | "})" | "pass" | "break" | "continue")
    {
        return true;
    }
    if ascii && (t.ends_with(';') || t.ends_with('{')) {
        return true;
    }
    let first = t.split_whitespace().next().unwrap_or("");
    let rest_ascii = t[first.len()..].is_ascii();
    match first {
        "import" | "from" if rest_ascii => return true,
        "def" | "class" | "async" | "await" | "return" | "yield" | "raise" | "assert"
        | "lambda" | "del" | "global" | "nonlocal"
            if t[first.len()..]
                .trim_start()
                .starts_with(|c: char| c.is_ascii()) =>
        {
            return true;
        }
        "if" | "for" | "while" | "with" | "elif" | "else" | "else:" | "try" | "try:" | "except"
        | "except:" | "finally" | "finally:"
            if t.ends_with(':') =>
        {
            return true;
        }
        "pip" | "pip3" | "npm" | "yarn" | "sudo" | "git" | "cd" | "ls" | "cat" | "echo"
        | "curl" | "wget" | "docker" | "kubectl" | "python" | "python3" | "apt" | "apt-get"
        | "yum" | "brew" | "export" | "mkdir" | "rm" | "cp" | "mv" | "chmod" | "chown" | "kill"
        | "grep" | "tail" | "vim" | "ssh"
            if ascii =>
        {
            return true;
        }
        _ => {}
    }
    if let Some(d) = t.strip_prefix('@')
        && d.starts_with(|c: char| c.is_ascii_alphabetic())
        && d.is_ascii()
    {
        return true;
    }
    // identifier, attribute or subscript, then `=`, `+=`, or a call
    let head_len = t
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || "_.[]'\"".contains(*c)))
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    let head = &t[..head_len];
    if head.is_empty() || !head.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return false;
    }
    let after = t[head_len..].trim_start();
    if after.starts_with('=') && !after.starts_with("==") {
        return true;
    }
    if ["+=", "-=", "*=", "/=", "|=", "&="]
        .iter()
        .any(|op| after.starts_with(op))
    {
        return true;
    }
    after.starts_with('(') && t[head_len..].starts_with('(') && t.ends_with([')', ':', ';'])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeadRole {
    Question,
    Category,
    /// 目录, 参考资料, 前言...: a section that is not a question.
    Meta,
    Empty,
}

#[derive(Debug, Clone)]
struct Head {
    li: usize,
    level: u8,
    title: String,
    role: HeadRole,
}

fn is_meta_title(title: &str) -> bool {
    const META: &[&str] = &[
        "目录",
        "目 录",
        "文章目录",
        "contents",
        "table of contents",
        "toc",
        "参考",
        "参考资料",
        "参考文献",
        "参考链接",
        "参考文章",
        "参考连接",
        "相关链接",
        "references",
        "reference",
        "前言",
        "序",
        "序言",
        "引言",
        "写在前面",
        "写在最后",
        "总结",
        "小结",
        "结语",
        "后记",
        "致谢",
        "鸣谢",
        "说明",
        "license",
        "许可证",
        "版权声明",
        "更新日志",
        "changelog",
        "贡献",
        "contributing",
        "contributors",
        "关于作者",
        "about",
        "联系我",
        "联系方式",
        "star history",
        "acknowledgements",
        "acknowledgments",
    ];
    let t = title
        .trim_end_matches([':', '：'])
        .trim()
        .to_ascii_lowercase();
    META.contains(&t.as_str())
}

/// Builds the heading outline: leaves are questions, headings with child headings are categories, a leaf
/// among category siblings is an (empty) category too, and sections like 目录 or 参考资料 are not questions.
fn classify_headings(lines: &[Line]) -> Vec<Head> {
    let mut heads: Vec<Head> = lines
        .iter()
        .enumerate()
        .filter_map(|(li, l)| {
            l.heading.as_ref().map(|(level, raw)| Head {
                li,
                level: *level,
                title: normalize_title(raw),
                role: HeadRole::Question,
            })
        })
        .collect();
    let mut parents: Vec<Option<usize>> = Vec::with_capacity(heads.len());
    let mut stack: Vec<usize> = Vec::new();
    for k in 0..heads.len() {
        while stack
            .last()
            .is_some_and(|&p| heads[p].level >= heads[k].level)
        {
            stack.pop();
        }
        parents.push(stack.last().copied());
        stack.push(k);
    }
    for k in 0..heads.len() {
        let has_children = heads.get(k + 1).is_some_and(|n| n.level > heads[k].level);
        let meta_ancestor = {
            let mut p = parents[k];
            let mut found = false;
            while let Some(q) = p {
                if heads[q].role == HeadRole::Meta {
                    found = true;
                    break;
                }
                p = parents[q];
            }
            found
        };
        heads[k].role = if meta_ancestor || is_meta_title(&heads[k].title) {
            HeadRole::Meta
        } else if has_children {
            HeadRole::Category
        } else if heads[k].title.is_empty() {
            HeadRole::Empty
        } else {
            HeadRole::Question
        };
    }
    // Siblings: "## 六、其他" after five category headings is a category too.
    let mut groups: HashMap<Option<usize>, (usize, usize)> = HashMap::new();
    for k in 0..heads.len() {
        let e = groups.entry(parents[k]).or_default();
        match heads[k].role {
            HeadRole::Category => e.0 += 1,
            HeadRole::Question => e.1 += 1,
            _ => {}
        }
    }
    for k in 0..heads.len() {
        let (cats, questions) = groups[&parents[k]];
        if heads[k].role == HeadRole::Question && cats >= 2 && cats > questions {
            heads[k].role = HeadRole::Category;
        }
    }
    heads
}

// ---------------------------------------------------------------------------------------------------------
// Question candidates and the document's style
// ---------------------------------------------------------------------------------------------------------

/// A question found: its title line, its raw title, the lines of its answer, and lines it uses besides.
#[derive(Debug, Clone)]
struct Start {
    li: usize,
    title: String,
    answer: Vec<usize>,
    consume: Option<(usize, usize)>,
}

/// `12. rest`, `12、rest`, `4。rest`, `12) rest`, `Q12: rest`, `问题12：rest`, `第12题 rest` → (12, rest).
fn parse_numbered(s: &str) -> Option<(u32, &str)> {
    let mut t = s;
    let mut prefixed = false;
    for p in ["Q", "q", "问题", "题目", "第", "No.", "NO."] {
        if let Some(r) = t.strip_prefix(p)
            && r.starts_with(|c: char| c.is_ascii_digit())
        {
            t = r;
            prefixed = true;
            break;
        }
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let n: u32 = t[..digits].parse().ok()?;
    let mut r = &t[digits..];
    if prefixed && let Some(x) = r.strip_prefix('题') {
        r = x;
    }
    let r2 = r.trim_start_matches([' ', '\t']);
    let mut chars = r2.chars();
    match chars.next() {
        Some(c) if ".、．。)）:：".contains(c) => {
            let rest = chars.as_str();
            if c == '.' && rest.starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            let rest = rest.trim();
            (!rest.is_empty()).then_some((n, rest))
        }
        Some(_) if prefixed => Some((n, r2.trim())),
        _ => None,
    }
}

fn indent_of(s: &str) -> usize {
    s.chars().take_while(|c| c.is_whitespace()).count()
}

/// Leading list marker (`- `, `* `, `+ `, `• `, `· `) removed.
fn strip_list_marker(s: &str) -> &str {
    let t = s.trim_start();
    for m in ["- ", "* ", "+ ", "• ", "· ", "▪ ", "●", "•", "·", "▪"] {
        if let Some(r) = t.strip_prefix(m) {
            return r.trim_start();
        }
    }
    t
}

/// A whole line in bold (`**...**`, `__...__`, `<b>...</b>`, `<strong>...</strong>`): its inner text.
fn bold_line(s: &str) -> Option<String> {
    let t = strip_list_marker(s).trim();
    let t = t.trim_end_matches([':', '：']).trim_end();
    for (open, close) in [
        ("**", "**"),
        ("__", "__"),
        ("<b>", "</b>"),
        ("<strong>", "</strong>"),
    ] {
        if t.len() > open.len() + close.len() && t.starts_with(open) && t.ends_with(close) {
            let inner = &t[open.len()..t.len() - close.len()];
            if !inner.contains(open) && !inner.trim().is_empty() {
                return Some(inner.trim().to_string());
            }
        }
    }
    None
}

fn ends_with_question_mark(s: &str) -> bool {
    let (t, _) = strip_trailing_markers(s);
    let t = t
        .trim_end()
        .trim_end_matches(['*', '_'])
        .trim_end_matches([':', '：'])
        .trim_end();
    t.ends_with(['?', '？'])
}

/// `答：...`, `A: ...`, `Answer: ...` lines start an answer, never a question.
fn is_answer_label_line(s: &str) -> bool {
    strip_answer_label(s).is_some()
}

fn strip_answer_label(s: &str) -> Option<&str> {
    let t = s.trim_start();
    for label in [
        "参考答案",
        "答案",
        "回答",
        "解答",
        "答",
        "Answer",
        "answer",
        "ANSWER",
        "Ans",
        "A",
    ] {
        if let Some(r) = t.strip_prefix(label) {
            let r = r.trim_start_matches([' ', '\t']);
            if let Some(r) = r.strip_prefix([':', '：']) {
                return Some(r.trim_start());
            }
        }
    }
    None
}

/// `Q: ...`, `问：...`, `Question: ...` lines.
fn has_question_label(s: &str) -> bool {
    let t = strip_list_marker(s);
    strip_question_prefix(t).len() != t.len()
}

/// Numbered question lines forming the best sequence 1, 2, 3... (a new sequence may restart at 1 after a
/// heading or section line; one number may be missing). A line counts when it looks like a question or has an
/// answer under it; lines of an answer's own numbered lists rarely fit the sequence. `relaxed` (a last resort)
/// takes any numbered line.
fn numbered_candidates(lines: &[Line], relaxed: bool) -> Vec<(usize, String)> {
    struct Cand {
        li: usize,
        n: u32,
        weight: f32,
        title: String,
    }
    let mut heads_before = vec![0usize; lines.len() + 1];
    for (i, l) in lines.iter().enumerate() {
        heads_before[i + 1] = heads_before[i] + usize::from(l.heading.is_some() || l.section);
    }
    let mut cands = Vec::new();
    for (li, l) in lines.iter().enumerate() {
        if !l.is_body_text() || indent_of(&l.text) > 3 {
            continue;
        }
        let inner = bold_line(&l.text);
        let t = inner.as_deref().unwrap_or(l.text.trim());
        let t = strip_list_marker(t);
        let Some((n, rest)) = parse_numbered(t) else {
            continue;
        };
        let len = rest.chars().count();
        if len > 150 || is_answer_label_line(rest) || looks_like_code(rest) {
            continue;
        }
        let question = ends_with_question_mark(rest)
            || has_question_label(t)
            || strip_trailing_markers(rest).1 != Marker::None;
        // A body: content before the next numbered line, at most as indented as this one.
        let indent = indent_of(&l.text);
        let mut body = false;
        for m in &lines[li + 1..] {
            match m.kind {
                Kind::Blank | Kind::Removed => continue,
                Kind::Code => {
                    body = true;
                    break;
                }
                Kind::Text => {}
            }
            if m.heading.is_some() || m.section {
                break;
            }
            let mt = m.text.trim();
            let numbered =
                parse_numbered(strip_list_marker(bold_line(mt).as_deref().unwrap_or(mt))).is_some();
            if numbered {
                break;
            }
            if indent_of(&m.text) > indent {
                continue;
            }
            body = true;
            break;
        }
        if !question && !body && !relaxed {
            continue;
        }
        let mut weight = 1.0;
        if question {
            weight += 0.5;
        }
        if body {
            weight += 0.3;
        }
        if indent > 0 {
            weight -= 0.3;
        }
        if len > 80 {
            weight -= 0.3;
        }
        cands.push(Cand {
            li,
            n,
            weight,
            title: t.to_string(),
        });
    }
    // Best chain by total weight: each step n -> n + 1, or back to 1 after a heading.
    let mut best: Vec<(f32, usize, Option<usize>)> = Vec::with_capacity(cands.len());
    let mut by_number: HashMap<u32, Vec<usize>> = HashMap::new();
    for i in 0..cands.len() {
        let mut choice: Option<(f32, usize, usize)> = None;
        let mut consider = |j: usize, best: &Vec<(f32, usize, Option<usize>)>, penalty: f32| {
            let (w, len, _) = best[j];
            let w = w - penalty;
            if choice.is_none_or(|(cw, cl, _)| w > cw || (w == cw && len > cl)) {
                choice = Some((w, len, j));
            }
        };
        if cands[i].n > 1
            && let Some(prev) = by_number.get(&(cands[i].n - 1))
        {
            for &j in prev {
                consider(j, &best, 0.0);
            }
        }
        // one question missing from the sequence
        if cands[i].n > 2
            && let Some(prev) = by_number.get(&(cands[i].n - 2))
        {
            for &j in prev {
                consider(j, &best, 0.6);
            }
        }
        if cands[i].n == 1 {
            for j in 0..i {
                if heads_before[cands[i].li] > heads_before[cands[j].li] {
                    consider(j, &best, 0.0);
                }
            }
        }
        let entry = match choice {
            Some((w, len, j)) => (w + cands[i].weight, len + 1, Some(j)),
            None => (cands[i].weight, 1, None),
        };
        best.push(entry);
        by_number.entry(cands[i].n).or_default().push(i);
    }
    let Some(mut end) = (0..best.len()).max_by(|&a, &b| {
        best[a]
            .0
            .total_cmp(&best[b].0)
            .then(best[a].1.cmp(&best[b].1))
            .then(b.cmp(&a))
    }) else {
        return Vec::new();
    };
    let mut chain = vec![end];
    while let Some(p) = best[end].2 {
        chain.push(p);
        end = p;
    }
    chain.reverse();
    chain
        .into_iter()
        .map(|i| (cands[i].li, cands[i].title.clone()))
        .collect()
}

/// Bold lines that are numbered, labelled `Q:` or end with a question mark.
fn bold_candidates(lines: &[Line]) -> Vec<(usize, String)> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.is_body_text())
        .filter_map(|(li, l)| {
            let inner = bold_line(&l.text)?;
            let question = parse_numbered(&inner).is_some()
                || ends_with_question_mark(&inner)
                || has_question_label(&inner);
            (question && inner.chars().count() <= 200).then_some((li, inner))
        })
        .collect()
}

/// Lines of plain-text notes that are questions: ending with a question mark, labelled `Q:`, or carrying a
/// trailing date or counter like `(2021/4/6-2)` (a counter alone does not count on the document's first line,
/// which is usually its title).
fn plain_candidates(lines: &[Line]) -> Vec<(usize, String)> {
    let first_content = lines.iter().position(|l| l.is_content());
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.is_body_text())
        .filter_map(|(li, l)| {
            let t = l.text.trim();
            let inner = bold_line(t);
            let u = strip_list_marker(inner.as_deref().unwrap_or(t));
            let len = u.chars().count();
            if len > 150 || is_answer_label_line(u) || looks_like_code(u) || u.contains("://") {
                return None;
            }
            let (_, marker) = strip_trailing_markers(u);
            let question = ends_with_question_mark(u)
                || has_question_label(u)
                || marker == Marker::Date
                || (marker == Marker::Counter && Some(li) != first_content && len <= 80);
            question.then(|| (li, u.to_string()))
        })
        .collect()
}

/// Decides the document's question style from the candidates of each style, then lists its questions.
fn choose_questions(
    lines: &[Line],
    heads: &[Head],
    blocks: &[DetailsBlock],
) -> (Option<Style>, Vec<Start>) {
    let details: Vec<&DetailsBlock> = blocks
        .iter()
        .filter(|b| b.top_level && !is_generic_summary(&b.summary))
        .collect();
    let question_heads: Vec<&Head> = heads
        .iter()
        .filter(|h| h.role == HeadRole::Question)
        .collect();
    let bold = bold_candidates(lines);
    let mut numbered = numbered_candidates(lines, false);
    let plain = plain_candidates(lines);
    // Leaf headings holding two or more question lines each are categories of plain notes.
    let multi = heads
        .iter()
        .enumerate()
        .filter(|(_, h)| h.role == HeadRole::Question)
        .filter(|(k, h)| {
            let end = heads.get(k + 1).map_or(lines.len(), |n| n.li);
            plain
                .iter()
                .filter(|(li, _)| *li > h.li && *li < end)
                .count()
                >= 2
        })
        .count();
    // Numbered or question-like headings are questions whatever their answers contain.
    let asking = question_heads
        .iter()
        .filter(|h| {
            let raw = lines[h.li].heading.as_ref().map_or("", |(_, t)| t.as_str());
            let raw = raw.trim().trim_matches('*');
            strip_numbering(raw).len() != raw.len()
                || ends_with_question_mark(raw)
                || has_question_label(raw)
        })
        .count();
    let (d, h, b, n, p) = (
        details.len(),
        question_heads.len(),
        bold.len(),
        numbered.len(),
        plain.len(),
    );
    // Leaf headings (not asking themselves) holding bold question lines are their categories.
    let bold_holders = heads
        .iter()
        .enumerate()
        .filter(|(_, h)| h.role == HeadRole::Question)
        .filter(|(k, h)| {
            let end = heads.get(k + 1).map_or(lines.len(), |n| n.li);
            bold.iter().any(|(li, _)| *li > h.li && *li < end)
        })
        .count();
    let style = if d >= 2 && d > h {
        Some(Style::Details)
    } else if b >= 2 && (b >= 2 * h || (2 * asking <= h && bold_holders == h && b > h)) {
        Some(Style::BoldLines)
    } else if n >= 3 && n >= 2 * h && 2 * n >= p {
        Some(Style::NumberedLines)
    } else if h >= 1
        && (2 * asking > h || !(p >= 4 && (p > 3 * h || (2 * multi >= h && p >= 2 * h))))
    {
        Some(Style::Headings)
    } else if p >= 1 {
        Some(Style::QuestionLines)
    } else if n >= 1 {
        Some(Style::NumberedLines)
    } else if d >= 1 {
        Some(Style::Details)
    } else if b >= 1 {
        Some(Style::BoldLines)
    } else {
        // last resort: a bare numbered list of questions without answers or question marks
        numbered = numbered_candidates(lines, true);
        (!numbered.is_empty()).then_some(Style::NumberedLines)
    };
    let starts = match style {
        None => Vec::new(),
        Some(Style::Details) => details
            .iter()
            .map(|b| Start {
                li: b.open,
                title: b.summary.clone(),
                answer: (b.body..b.close)
                    .filter(|&i| lines[i].role != Role::DetailsClose || lines[i].depth > 1)
                    .collect(),
                consume: Some((b.open, (b.close + 1).min(lines.len()))),
            })
            .collect(),
        Some(Style::Headings) => {
            let mut out = Vec::new();
            for (k, head) in heads.iter().enumerate() {
                if head.role != HeadRole::Question {
                    continue;
                }
                let end = heads.get(k + 1).map_or(lines.len(), |n| n.li);
                out.push(Start {
                    li: head.li,
                    title: lines[head.li]
                        .heading
                        .as_ref()
                        .map(|(_, t)| t.clone())
                        .unwrap_or_default(),
                    answer: (head.li + 1..end).collect(),
                    consume: None,
                });
            }
            out
        }
        Some(style) => {
            let found = match style {
                Style::BoldLines => bold,
                Style::NumberedLines => numbered,
                _ => plain,
            };
            let mut bounds: Vec<usize> = heads
                .iter()
                .map(|h| h.li)
                .chain(found.iter().map(|(li, _)| *li))
                .chain((0..lines.len()).filter(|&i| lines[i].section))
                .collect();
            bounds.sort_unstable();
            bounds.dedup();
            found
                .into_iter()
                .map(|(li, title)| {
                    let next = bounds
                        .iter()
                        .copied()
                        .find(|&b| b > li)
                        .unwrap_or(lines.len());
                    Start {
                        li,
                        title,
                        answer: (li + 1..next).collect(),
                        consume: None,
                    }
                })
                .collect()
        }
    };
    (style, starts)
}

/// Reports headings that are not questions and text that belongs to no question.
fn report_unused(
    lines: &[Line],
    heads: &[Head],
    style: Option<Style>,
    starts: &[Start],
    consumed: &[bool],
    skipped: &mut Vec<Skipped>,
) {
    let is_start: Vec<usize> = starts.iter().map(|s| s.li).collect();
    let is_head: Vec<usize> = heads.iter().map(|h| h.li).collect();
    let unused = |a: usize, b: usize| {
        (a..b)
            .filter(|&i| {
                lines[i].is_content()
                    && !consumed[i]
                    && lines[i].heading.is_none()
                    && !is_head.contains(&i)
            })
            .count()
    };
    let first_head = heads.first().map_or(lines.len(), |h| h.li);
    let before = unused(0, first_head);
    if before > 0 {
        let first = (0..first_head)
            .find(|&i| lines[i].is_content() && !consumed[i])
            .map_or(1, |i| lines[i].no);
        let what = if starts.is_empty() {
            "text with no question found in it"
        } else {
            "text outside any question"
        };
        skipped.push(Skipped {
            line: first,
            what: format!("{what} ({before} line{})", plural(before)),
        });
    }
    for (k, head) in heads.iter().enumerate() {
        if is_start.contains(&head.li) {
            continue;
        }
        let end = heads.get(k + 1).map_or(lines.len(), |n| n.li);
        let kind = match (head.role, style) {
            (HeadRole::Meta, _) => "section, not a question",
            (HeadRole::Empty, _) => "empty heading",
            (HeadRole::Category, _) => "category",
            (HeadRole::Question, Some(Style::Headings)) => "heading",
            (HeadRole::Question, _) => "category",
        };
        let text = unused(head.li + 1, end);
        let mut what = if head.title.is_empty() {
            format!("heading ({kind})")
        } else {
            format!("\"{}\" ({kind})", head.title)
        };
        if text > 0 {
            what.push_str(&format!(
                ", {text} line{} of text under it not in any question",
                plural(text)
            ));
        }
        skipped.push(Skipped {
            line: lines[head.li].no,
            what,
        });
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

// ---------------------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------------------

/// Answers that only say "to do".
fn is_placeholder_answer(s: &str) -> bool {
    let body: Vec<&str> = s
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && fence_marker(l).is_none())
        .collect();
    let [only] = body.as_slice() else {
        return body.is_empty();
    };
    let t = only.trim_matches(|c: char| c.is_whitespace() || "。.（）()…".contains(c));
    matches!(
        t.to_ascii_lowercase().as_str(),
        "pass" | "todo" | "tbd" | "略" | "待补充" | "待完善" | "暂无" | "无" | "" | "-" | "..."
    )
}

/// The answer: the given lines without junk, code verbatim, blank runs collapsed, common indentation and an
/// answer label (`答：`) removed, a fence left open closed. Empty when there is nothing but a placeholder like
/// `pass`.
fn build_answer(lines: &[Line], idxs: &[usize]) -> String {
    // (is code, text)
    let mut out: Vec<(bool, String)> = Vec::new();
    let mut open_fence: Option<String> = None;
    let mut labelled = false;
    for &i in idxs {
        let l = &lines[i];
        match l.kind {
            Kind::Removed => continue,
            Kind::Blank => {
                if out.last().is_some_and(|(_, x)| !x.is_empty()) {
                    out.push((false, String::new()));
                }
                continue;
            }
            Kind::Code => {
                if let Some(close) = &l.fence_open {
                    open_fence = Some(close.clone());
                } else if l.fence_close {
                    open_fence = None;
                }
                out.push((true, l.text.clone()));
                continue;
            }
            Kind::Text => {}
        }
        match l.role {
            Role::DetailsOpen | Role::DetailsClose | Role::SummaryOpen | Role::SummaryClose => {
                continue;
            }
            Role::Summary => {
                if !is_generic_summary(&l.text) {
                    out.push((false, format!("**{}**", strip_html_tags(l.text.trim()))));
                }
                continue;
            }
            Role::Plain => {}
        }
        let mut text = l.text.trim_end().to_string();
        for br in ["<br />", "<br/>", "<br>"] {
            if let Some(t) = text.strip_suffix(br) {
                text = t.trim_end().to_string();
            }
        }
        if !labelled && out.iter().all(|(_, x)| x.is_empty()) {
            labelled = true;
            if let Some(rest) = strip_answer_label(&text) {
                text = rest.to_string();
                if text.trim().is_empty() {
                    continue;
                }
            }
        }
        out.push((false, text));
    }
    if let Some(close) = open_fence {
        out.push((true, close));
    }
    // common indentation of the text lines (pages rendered to text indent everything)
    let indent = out
        .iter()
        .filter(|(code, t)| !code && !t.trim().is_empty())
        .map(|(_, t)| indent_of(t))
        .min()
        .unwrap_or(0);
    if indent > 0 {
        for (code, t) in out.iter_mut() {
            if !*code && !t.trim().is_empty() {
                *t = t.chars().skip(indent).collect();
            }
        }
    }
    while out.first().is_some_and(|(_, x)| x.trim().is_empty()) {
        out.remove(0);
    }
    while out
        .last()
        .is_some_and(|(code, x)| !code && x.trim().is_empty())
    {
        out.pop();
    }
    let answer = out
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join("\n");
    if is_placeholder_answer(&answer) {
        String::new()
    } else {
        answer
    }
}

// ---------------------------------------------------------------------------------------------------------
// Titles
// ---------------------------------------------------------------------------------------------------------

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{3040}'..='\u{30FF}'
        | '\u{AC00}'..='\u{D7AF}'
        | '\u{20000}'..='\u{2A6DF}')
}

/// Zero-width characters, private-use characters (broken PDF glyphs) and control characters.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'
        | '\u{2060}'..='\u{2064}'
        | '\u{FEFF}'
        | '\u{E000}'..='\u{F8FF}'
        | '\u{F0000}'..='\u{FFFFD}'
        | '\u{100000}'..='\u{10FFFD}')
        || (c.is_control() && c != '\t')
}

fn strip_html_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('<') {
        let tail = &rest[p + 1..];
        let is_tag = tail.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match tail.find('>') {
            Some(e) if is_tag => {
                out.push_str(&rest[..p]);
                rest = &tail[e + 1..];
            }
            _ => {
                out.push_str(&rest[..=p]);
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `[text](url)` → `text`.
fn links_to_text(s: &str) -> String {
    let mut out = s.to_string();
    let mut from = 0;
    while let Some(p) = out[from..].find('[').map(|p| p + from) {
        let Some(mid) = out[p..].find("](").map(|m| p + m) else {
            break;
        };
        let Some(end) = out[mid..].find(')').map(|e| mid + e) else {
            break;
        };
        let text = out[p + 1..mid].to_string();
        out.replace_range(p..=end, &text);
        from = p + text.len();
    }
    out
}

/// Full-width letters, digits and spaces to ASCII.
fn fold_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            'Ａ'..='Ｚ' | 'ａ'..='ｚ' | '０'..='９' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            _ => c,
        })
        .collect()
}

/// `Q:`, `Q12.`, `问：`, `问题3：`, `题目：`, `面试题：`, `第3题`, `Question 2:` prefixes removed.
fn strip_question_prefix(s: &str) -> &str {
    let t = s.trim_start();
    for w in [
        "Question",
        "question",
        "QUESTION",
        "面试题",
        "问题",
        "题目",
        "问",
        "Q",
        "q",
    ] {
        let Some(r) = t.strip_prefix(w) else { continue };
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        let r2 = &r[digits..];
        let r3 = r2.trim_start_matches([' ', '\t']);
        if let Some(x) = r3.strip_prefix([':', '：', '.', '、', '．', ')', '）']) {
            if w.len() == 1 && digits == 0 && x.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                // "Q.E.D", "q.x": not a label
                continue;
            }
            return x.trim_start();
        }
        if digits > 0 && r3.len() < r2.len() && w != "问" {
            return r3;
        }
    }
    if let Some(r) = t.strip_prefix('第') {
        let num = r
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || "零一二三四五六七八九十百".contains(*c)))
            .map_or(r.len(), |(i, _)| i);
        if num > 0
            && let Some(x) = r[num..].strip_prefix('题')
        {
            return x
                .trim_start_matches([':', '：', '.', '、', ' '])
                .trim_start();
        }
    }
    t
}

/// Leading numbering removed: `12.`, `12、`, `4。`, `12)`, `(12)`, `【12】`, `2.1.`, `3.2.1 `, `一、`, `（一）`.
fn strip_numbering(s: &str) -> &str {
    let t = s.trim_start();
    const SEPS: [char; 9] = ['.', '、', '．', '。', ')', '）', ':', '：', ','];
    // (12) （一） [12] 【12】
    for (open, close) in [('(', ')'), ('（', '）'), ('[', ']'), ('【', '】')] {
        if let Some(r) = t.strip_prefix(open)
            && let Some(e) = r.find(close)
        {
            let inner = &r[..e];
            if !inner.is_empty()
                && inner.chars().count() <= 4
                && inner
                    .chars()
                    .all(|c| c.is_ascii_digit() || "零一二三四五六七八九十百".contains(c))
            {
                let rest = r[e + close.len_utf8()..].trim_start();
                if !rest.is_empty() {
                    return rest;
                }
            }
        }
    }
    // 一、 十二、
    let cn = t
        .char_indices()
        .find(|(_, c)| !"零一二三四五六七八九十百".contains(*c))
        .map_or(t.len(), |(i, _)| i);
    if cn > 0 && cn <= 12 {
        let r = t[cn..].trim_start();
        if let Some(x) = r.strip_prefix(['、', '.', '．', ':', '：', ')', '）']) {
            return x.trim_start();
        }
    }
    // 12.  2.1.  3.2.1
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 4 {
        return t;
    }
    let mut end = digits;
    let mut levels = 1;
    loop {
        let r = &t[end..];
        let next = r.bytes().skip(1).take_while(u8::is_ascii_digit).count();
        if (r.starts_with('.') || r.starts_with('．')) && next > 0 {
            let dot = r.chars().next().map_or(1, char::len_utf8);
            end += dot + next;
            levels += 1;
        } else {
            break;
        }
    }
    let r = &t[end..];
    let r_trim = r.trim_start_matches([' ', '\t']);
    if let Some(x) = r_trim.strip_prefix(SEPS) {
        if x.starts_with(|c: char| c.is_ascii_digit()) {
            return t;
        }
        return x.trim_start();
    }
    if levels > 1 && r_trim.len() < r.len() {
        return r_trim;
    }
    t
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Marker {
    None,
    /// `(2)`: asked twice, part 1...
    Counter,
    /// `(2021/4/6-2)`, `2021-04-06`.
    Date,
}

/// Trailing dates and counters removed: `(2021/4/6-2)`, `(2)`, `【2021-04-06】`, ` 2021-04-06`. A group right
/// after an identifier (`sleep(3)`) is a call, not a counter.
fn strip_trailing_markers(s: &str) -> (&str, Marker) {
    let mut t = s.trim_end();
    let mut found = Marker::None;
    loop {
        let before = t;
        if let Some(close) = t.chars().last()
            && let Some(open_chars) = match close {
                ')' | '）' => Some(&['(', '（'][..]),
                ']' => Some(&['['][..]),
                '】' => Some(&['【'][..]),
                _ => None,
            }
        {
            let body = &t[..t.len() - close.len_utf8()];
            if let Some(p) = body.rfind(open_chars) {
                let inner = &body[p..];
                let open_len = inner.chars().next().map_or(1, char::len_utf8);
                let inner = inner[open_len..].trim();
                let prev = body[..p].chars().last();
                let call = prev.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
                if !call
                    && !inner.is_empty()
                    && inner.chars().count() <= 24
                    && inner.chars().any(|c| c.is_ascii_digit())
                    && inner
                        .chars()
                        .all(|c| c.is_ascii_digit() || "/-.:年月日 _—–~".contains(c))
                {
                    let date = inner.chars().filter(char::is_ascii_digit).count() >= 3
                        && inner.chars().any(|c| "/-年月.".contains(c));
                    found = found.max(if date { Marker::Date } else { Marker::Counter });
                    t = body[..p].trim_end();
                }
            }
        }
        // a bare date at the end: "... 2021-04-06"
        if let Some((head, last)) = t.rsplit_once([' ', '\t'])
            && is_date(last)
        {
            found = Marker::Date;
            t = head.trim_end();
        }
        if t == before {
            break;
        }
    }
    (t, found)
}

fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
    parts.len() == 3
        && parts[0].len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
}

const FULL_WIDTH_PUNCT: &str = "？：，；！（）。、“”";

/// One form of punctuation per title: full-width in a title with Chinese (or other CJK) text, ASCII in a title
/// without; code spans and calls like `f()` are left alone.
fn normalize_punct(s: &str) -> String {
    let cjk = s.chars().any(is_cjk);
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut in_code = false;
    let mut parens: Vec<bool> = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '`' {
            in_code = !in_code;
            out.push(c);
            continue;
        }
        if in_code {
            out.push(c);
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let digits_around =
            prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit());
        if cjk {
            let m = match c {
                '?' => '？',
                ':' if next != Some('/') && !digits_around => '：',
                ',' if !digits_around => '，',
                ';' => '；',
                '!' if next != Some('=') => '！',
                '(' => {
                    // `f(x)`, `HTTP(S)`, `()`: ASCII after an ASCII word stays ASCII
                    let inner_ascii = chars[i + 1..]
                        .iter()
                        .take_while(|&&x| x != ')' && x != '）')
                        .all(|x| !is_cjk(*x));
                    let call = (prev.is_some_and(|p| p.is_ascii_alphanumeric() || p == '_')
                        && inner_ascii)
                        || next == Some(')');
                    parens.push(!call);
                    if call { '(' } else { '（' }
                }
                ')' => {
                    if parens.pop().unwrap_or(true) {
                        '）'
                    } else {
                        ')'
                    }
                }
                '（' => {
                    parens.push(true);
                    c
                }
                '）' => {
                    parens.pop();
                    c
                }
                _ => c,
            };
            out.push(m);
        } else {
            let (m, space) = match c {
                '？' => ('?', true),
                '：' => (':', true),
                '，' => (',', true),
                '；' => (';', true),
                '！' => ('!', true),
                '（' => ('(', false),
                '）' => (')', false),
                '。' => ('.', true),
                '、' => (',', true),
                _ => (c, false),
            };
            out.push(m);
            if space && next.is_some_and(|n| n.is_alphanumeric()) {
                out.push(' ');
            }
        }
    }
    // collapse spaces; in CJK titles, no spaces around full-width punctuation
    let chars: Vec<char> = out
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect();
    let mut result = String::with_capacity(out.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' && cjk {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            if prev.is_some_and(|p| FULL_WIDTH_PUNCT.contains(p))
                || next.is_some_and(|n| FULL_WIDTH_PUNCT.contains(n))
            {
                continue;
            }
        }
        result.push(c);
    }
    result
}

/// A clean question title: no Markdown, numbering, `Q:` label, trailing dates or counters, consistent
/// punctuation.
fn normalize_title(raw: &str) -> String {
    let s: String = raw.chars().filter(|&c| !is_invisible(c)).collect();
    let s = clean_inline(&s);
    let s = strip_html_tags(&s);
    let s = links_to_text(&s);
    let s = s.replace("**", "").replace("~~", "");
    let mut s = fold_width(&s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    loop {
        let before = s.clone();
        let t = strip_list_marker(&s);
        let t = strip_question_prefix(t);
        let t = strip_numbering(t);
        let (t, _) = strip_trailing_markers(t);
        let t = t
            .trim_start_matches(|c: char| c.is_whitespace() || ":：、.．,，".contains(c))
            .trim_end_matches(|c: char| c.is_whitespace() || ":：,，、;；".contains(c));
        // a title that is only a label ("第一题", "Q1") keeps it
        if t.is_empty() || t == before {
            break;
        }
        s = t.to_string();
    }
    normalize_punct(&s)
}

// ---------------------------------------------------------------------------------------------------------
// TOML
// ---------------------------------------------------------------------------------------------------------

fn comment_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn escape_char(c: char, out: &mut String) {
    match c {
        '\\' => out.push_str("\\\\"),
        '"' => out.push_str("\\\""),
        '\t' => out.push('\t'),
        '\r' => out.push_str("\\r"),
        c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
        c => out.push(c),
    }
}

/// A TOML basic string on one line.
fn basic_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '\n' {
            out.push_str("\\n");
        } else {
            escape_char(c, &mut out);
        }
    }
    out.push('"');
    out
}

/// A TOML multi-line string: literal (`'''`) when possible, else basic (`"""`) with escapes, for text holding
/// `'''` or control characters.
fn multiline_string(s: &str) -> String {
    let literal_ok =
        !s.contains("'''") && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t');
    if literal_ok {
        return format!("'''\n{s}\n'''");
    }
    let mut out = String::from("\"\"\"\n");
    for c in s.chars() {
        if c == '\n' {
            out.push('\n');
        } else {
            escape_char(c, &mut out);
        }
    }
    out.push_str("\n\"\"\"");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Severity, check_dir};

    fn run(source: &str) -> Imported {
        import(source, "demo").expect("valid topic")
    }

    fn titles(imported: &Imported) -> Vec<&str> {
        imported
            .questions
            .iter()
            .map(|q| q.title.as_str())
            .collect()
    }

    fn answer_of<'a>(imported: &'a Imported, title: &str) -> &'a str {
        &imported
            .questions
            .iter()
            .find(|q| q.title == title)
            .unwrap_or_else(|| panic!("no question {title:?} in {:?}", titles(imported)))
            .answer
    }

    /// Renders the import into a temporary directory and loads it with the bank loader: no errors allowed,
    /// and every question comes back as a draft with the same text.
    fn assert_loads(imported: &Imported) {
        let dir = tempfile::tempdir().unwrap();
        let text = render_toml(imported, "test.md");
        write_topic_file(dir.path(), &imported.topic, &text, false).unwrap();
        let (bank, diagnostics) = check_dir(dir.path());
        let errors: Vec<String> = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(ToString::to_string)
            .collect();
        assert!(errors.is_empty(), "errors: {errors:#?}\n{text}");
        let bank = bank.expect("bank loads");
        assert_eq!(bank.questions().len(), imported.questions.len());
        for q in &imported.questions {
            let loaded = bank.get(&q.id).expect("id");
            assert!(loaded.draft);
            assert!(loaded.points.is_empty(), "key points are never invented");
            assert_eq!(loaded.difficulty, 2);
            assert_eq!(loaded.tags, vec!["imported".to_string()]);
            assert_eq!(loaded.question, q.title.trim());
            if q.has_answer {
                assert_eq!(loaded.answer, q.answer.trim());
            } else {
                assert_eq!(loaded.answer, MISSING_ANSWER);
            }
        }
    }

    // ----- question styles -----------------------------------------------------------------------------

    #[test]
    fn numbered_headings_in_every_form() {
        for (doc, expected) in [
            (
                "## 12. 什么是GIL？\n答案一\n## 13. 什么是协程\n答案二\n",
                ["什么是GIL？", "什么是协程"],
            ),
            (
                "### 12、什么是GIL？\n答案一\n### 13、什么是协程\n答案二\n",
                ["什么是GIL？", "什么是协程"],
            ),
            (
                "#### 12) 什么是GIL？\n答案一\n#### 13) 什么是协程\n答案二\n",
                ["什么是GIL？", "什么是协程"],
            ),
            (
                "## Q12: 什么是GIL？\n答案一\n## Q13：什么是协程\n答案二\n",
                ["什么是GIL？", "什么是协程"],
            ),
            (
                "## 2.1. 什么是GIL？\n答案一\n## 2.2 什么是协程\n答案二\n",
                ["什么是GIL？", "什么是协程"],
            ),
        ] {
            let r = run(doc);
            assert_eq!(r.report.style, Some(Style::Headings), "{doc}");
            assert_eq!(titles(&r), expected, "{doc}");
            assert_eq!(r.questions[0].answer, "答案一");
            assert_eq!(r.questions[1].answer, "答案二");
            assert_eq!(r.questions[0].line, 1);
        }
    }

    #[test]
    fn nested_outline_headings_with_children_are_categories() {
        let doc = "# Python 面试题\n\n本文整理常见题目。\n\n## 一、网络\n\n### 1. TCP 为什么三次握手？\n\n\
                   同步序列号。\n\n### 2. 什么是 TIME_WAIT\n\n主动关闭方等待 2MSL。\n\n## 二、Redis\n\n\
                   ### 3. Redis 为什么快\n\n#### 内存\n\n数据在内存里。\n\n#### 单线程\n\n没有锁竞争。\n\n\
                   ## 三、数据库\n\n### 4. 什么是回表\n\n二级索引查到主键再查聚簇索引。\n\n## 四、其他\n\n\
                   自学的困难\n";
        let r = run(doc);
        assert_eq!(r.report.style, Some(Style::Headings));
        assert_eq!(
            titles(&r),
            [
                "TCP 为什么三次握手？",
                "什么是 TIME_WAIT",
                "内存",
                "单线程",
                "什么是回表"
            ]
        );
        assert_eq!(answer_of(&r, "什么是 TIME_WAIT"), "主动关闭方等待 2MSL。");
        let skipped: Vec<&str> = r.report.skipped.iter().map(|s| s.what.as_str()).collect();
        assert!(
            skipped
                .iter()
                .any(|s| s.starts_with("\"Python 面试题\" (category), 1 line")),
            "{skipped:?}"
        );
        assert!(skipped.contains(&"\"网络\" (category)"), "{skipped:?}");
        assert!(
            skipped.contains(&"\"Redis 为什么快\" (category)"),
            "{skipped:?}"
        );
        // a leaf among category siblings is a category too
        assert!(
            skipped
                .iter()
                .any(|s| s.starts_with("\"其他\" (category), 1 line")),
            "{skipped:?}"
        );
        assert_loads(&r);
    }

    #[test]
    fn bold_question_lines() {
        let doc = "# 数据库\n\n## MySQL\n\n**1. 什么是事务的 ACID？**\n\n原子性、一致性、隔离性、持久性。\n\n\
                   **2. InnoDB 和 MyISAM 的区别**\n\n1. InnoDB 支持事务\n2. InnoDB 支持行锁\n\n\
                   **注意：** 常考。\n\n## Redis\n\n**3. Redis 为什么快？**\n\n- 内存\n- 单线程\n";
        let r = run(doc);
        assert_eq!(r.report.style, Some(Style::BoldLines));
        assert_eq!(
            titles(&r),
            [
                "什么是事务的 ACID？",
                "InnoDB 和 MyISAM 的区别",
                "Redis 为什么快？"
            ]
        );
        assert_eq!(
            answer_of(&r, "InnoDB 和 MyISAM 的区别"),
            "1. InnoDB 支持事务\n2. InnoDB 支持行锁\n\n**注意：** 常考。"
        );
        assert_eq!(answer_of(&r, "Redis 为什么快？"), "- 内存\n- 单线程");
        assert_loads(&r);
    }

    #[test]
    fn plain_numbered_lines_follow_their_sequence() {
        let doc = "后端面试题\n\n1. 请简述三次握手:\n\n答: 1.SYN\n\n2.SYN+ACK\n\n3.ACK\n\n\
                   2、为什么挥手要四次?\n\n因为 TCP 是全双工的。\n\n3。解释GIL\n\n全局解释器锁。\n\n\
                   4) 说说 DNS 解析过程（2）\n\n二、操作系统\n\n5. 进程和线程的区别？\n\n进程是资源分配单位。\n";
        let r = run(doc);
        assert_eq!(r.report.style, Some(Style::NumberedLines));
        assert_eq!(
            titles(&r),
            [
                "请简述三次握手",
                "为什么挥手要四次？",
                "解释GIL",
                "说说 DNS 解析过程",
                "进程和线程的区别？"
            ]
        );
        // the answer's own numbered list is not taken for questions; the label 答: is dropped
        assert_eq!(
            answer_of(&r, "请简述三次握手"),
            "1.SYN\n\n2.SYN+ACK\n\n3.ACK"
        );
        // a section line ends the answer before it
        assert!(!r.questions[3].has_answer);
        assert!(
            r.report
                .skipped
                .iter()
                .any(|s| s.what == "\"操作系统\" (category)")
        );
        assert_loads(&r);
    }

    #[test]
    fn question_mark_lines_in_plain_notes() {
        let doc = "我的笔记(1)\n\n一些开场白。\n为什么需要TIME_WAIT?\n保证最后的 ACK 能重传。\n\
                   手写socket通信示例(2021/4/6-2)\nimport socket\n\
                   那么为什么是2MSL呢？\n报文最大生存时间的两倍。\n说说 HTTP 和 HTTPS 区别?(2)\n";
        let r = run(doc);
        assert_eq!(r.report.style, Some(Style::QuestionLines));
        assert_eq!(
            titles(&r),
            [
                "为什么需要TIME_WAIT？",
                "手写socket通信示例",
                "那么为什么是2MSL呢？",
                "说说 HTTP 和 HTTPS 区别？"
            ]
        );
        assert_eq!(answer_of(&r, "手写socket通信示例"), "import socket");
        assert!(!r.questions[3].has_answer);
        assert_eq!(r.report.with_answers, 3);
        assert_eq!(r.report.without_answers, 1);
        // the first line is the document's title, not a question
        assert_eq!(r.report.skipped[0].line, 1);
        assert_loads(&r);
    }

    #[test]
    fn plain_question_lines_under_category_headings() {
        let doc = "## 网络\n\nTCP 为什么要三次握手？\n同步序列号。\n\nTIME_WAIT 为什么是 2MSL？\n\
                   让旧报文消失。\n\n## Redis\n\nRedis 为什么快?\n内存。\n\n如何解决缓存击穿？\n互斥锁。\n";
        let r = run(doc);
        assert_eq!(r.report.style, Some(Style::QuestionLines));
        assert_eq!(r.questions.len(), 4);
        assert_eq!(answer_of(&r, "Redis 为什么快？"), "内存。");
    }

    #[test]
    fn prose_ending_with_a_question_mark_stays_in_the_answer_of_a_heading_document() {
        let doc = "## 1. 什么是 GIL\n\n全局解释器锁。\n\n那么 GIL 会导致什么问题？\n\n多线程无法利用多核。\n\n\
                   为什么不去掉它？\n\n历史原因。\n\n## 2. 什么是协程\n\n用户态线程。\n\n\
                   协程和线程有什么区别？\n\n切换开销小。\n\n怎么选择？\n\nIO 密集用协程。\n";
        let r = run(doc);
        assert_eq!(r.report.style, Some(Style::Headings));
        assert_eq!(titles(&r), ["什么是 GIL", "什么是协程"]);
        assert_eq!(
            answer_of(&r, "什么是 GIL"),
            "全局解释器锁。\n\n那么 GIL 会导致什么问题？\n\n多线程无法利用多核。\n\n为什么不去掉它？\n\n历史原因。"
        );
    }

    #[test]
    fn details_blocks() {
        let doc = "# FAQ\n\n点击问题展开答案。\n\n<details>\n<summary><b>1. 列表和元组有什么区别？</b></summary>\n\n\
                   列表可变，元组不可变。\n\n```python\nt = (1, 2)\n# t[0] = 3\n```\n</details>\n\n\
                   <details><summary>2. 什么是装饰器?</summary>\n装饰器返回新函数。\n</details>\n\n\
                   <details>\n<summary>3、yield 和 return 的区别（2021/5/3）</summary>\n\n- yield 暂停\n\
                   <details><summary>示例代码</summary>\n\n```python\ndef gen():\n    yield 1\n```\n</details>\n\
                   </details>\n\n<details>\n<summary>4. 解释一下 GIL</summary>\n</details>\n";
        let r = run(doc);
        assert_eq!(r.report.style, Some(Style::Details));
        assert_eq!(
            titles(&r),
            [
                "列表和元组有什么区别？",
                "什么是装饰器？",
                "yield 和 return 的区别",
                "解释一下 GIL"
            ]
        );
        assert_eq!(
            answer_of(&r, "列表和元组有什么区别？"),
            "列表可变，元组不可变。\n\n```python\nt = (1, 2)\n# t[0] = 3\n```"
        );
        assert_eq!(answer_of(&r, "什么是装饰器？"), "装饰器返回新函数。");
        // a nested block with a generic summary is unwrapped into the answer
        assert_eq!(
            answer_of(&r, "yield 和 return 的区别"),
            "- yield 暂停\n\n```python\ndef gen():\n    yield 1\n```"
        );
        assert!(!r.questions[3].has_answer);
        assert_loads(&r);
    }

    #[test]
    fn details_with_generic_summaries_are_answers_of_headings() {
        let doc = "## 1. What is a closure?\n\n<details>\n<summary>Answer</summary>\n\n\
                   A function that captures variables.\n\n</details>\n\n\
                   ## 2. What does `functools.wraps` do?\n\n\
                   <details><summary>Show answer</summary>It copies `__name__`.</details>\n";
        let r = run(doc);
        assert_eq!(r.report.style, Some(Style::Headings));
        assert_eq!(
            titles(&r),
            ["What is a closure?", "What does `functools.wraps` do?"]
        );
        assert_eq!(r.questions[0].answer, "A function that captures variables.");
        assert_eq!(r.questions[1].answer, "It copies `__name__`.");
    }

    #[test]
    fn hash_lines_inside_fences_are_never_headings_and_code_is_verbatim() {
        let code = "```python\n# 答案:\n## not a heading\ndef f():\n\n\n    return 1  \n```";
        let tilde = "~~~\n# comment\n    indented\n~~~";
        let doc = format!(
            "## 1. 第一题\n\n{code}\n\n## 2. 第二题\n\n{tilde}\n\n## 3. 第三题\n\n````\n```\n# x\n````\n"
        );
        let r = run(&doc);
        assert_eq!(titles(&r), ["第一题", "第二题", "第三题"]);
        assert_eq!(r.questions[0].answer, code);
        assert_eq!(r.questions[1].answer, tilde);
        assert_eq!(r.questions[2].answer, "````\n```\n# x\n````");
        assert_loads(&r);
    }

    #[test]
    fn an_unclosed_fence_runs_to_the_end_and_is_closed_in_the_answer() {
        let r = run("## 1. a\n\nx\n\n## 2. b\n\n```python\nprint(1)\n## 3. c\n");
        assert_eq!(titles(&r), ["a", "b"]);
        assert_eq!(r.questions[1].answer, "```python\nprint(1)\n## 3. c\n```");
    }

    #[test]
    fn comments_of_unfenced_code_are_not_headings() {
        let doc = "手写socket通信示例？\n# client\nimport socket\nsock.close()\n# server\nsock = socket.socket()\n\
                   什么是粘包？\n数据粘在一起。\n";
        let r = run(doc);
        assert_eq!(r.report.style, Some(Style::QuestionLines));
        assert_eq!(titles(&r), ["手写socket通信示例？", "什么是粘包？"]);
        assert_eq!(
            r.questions[0].answer,
            "# client\nimport socket\nsock.close()\n# server\nsock = socket.socket()"
        );
    }

    #[test]
    fn page_junk_is_stripped() {
        let doc = "---\ntitle: 面试题\ntags: [a]\n---\n\n[TOC]\n\n目录\n- [1. 迭代器](#1-迭代器)\n\
                   - [2. 生成器](#2-生成器)\n\n最新推荐文章于 2023-05-01 发布\n阅读 1.2k\n点赞 12  收藏 3\n\n\
                   ## 1. 迭代器\n\n实现 __iter__ 的对象。![图](https://x/y.png)\n\n在这里插入图片描述\n\n[图片]\n\n\
                   [外链图片转存失败,源站可能有防盗链机制(img-abc)(https://x.png)]\n\n\
                   ## 2. 生成器\n\n用 yield 实现。[^1]\n\n[1]: https://example.com/ref\n\
                   原文链接：https://blog.csdn.net/x/1\n版权声明：本文为博主原创文章。\n\
                   Copyright © 2024 Someone\n欢迎关注我的公众号：悟道Python\n\n\
                   ```\n点赞\n[1]: https://kept-in-code\n```\n\n  • 1\n    点赞\n  • 0\n    收藏\n\
                   “相关推荐”对你有帮助么?\n添加红包\n";
        let r = run(doc);
        assert_eq!(titles(&r), ["迭代器", "生成器"]);
        assert_eq!(r.questions[0].answer, "实现 __iter__ 的对象。");
        assert_eq!(
            r.questions[1].answer,
            "用 yield 实现。[^1]\n\n```\n点赞\n[1]: https://kept-in-code\n```"
        );
        let skipped: Vec<&str> = r.report.skipped.iter().map(|s| s.what.as_str()).collect();
        assert!(skipped.contains(&"front matter"), "{skipped:?}");
        assert!(skipped.contains(&"table of contents"), "{skipped:?}");
        assert!(
            skipped.contains(&"table of contents (links to sections of the page)"),
            "{skipped:?}"
        );
        assert!(
            skipped.iter().any(|s| s.starts_with("page footer")),
            "{skipped:?}"
        );
    }

    #[test]
    fn widget_lines() {
        for junk in [
            "点赞",
            "收藏 3",
            "评论(12)",
            "阅读 123",
            "1.2k 阅读",
            "打赏",
            "分享",
            "关注",
            "点赞 12  收藏 3  评论 1",
            "觉得还不错? 一键收藏",
        ] {
            assert!(is_junk_line(junk), "{junk}");
        }
        for content in [
            "分享一个技巧：用 set 去重",
            "200",
            "阅读源码是最好的学习方法",
            "关注点分离",
        ] {
            assert!(!is_junk_line(content), "{content}");
        }
    }

    #[test]
    fn titles_are_normalised() {
        for (raw, clean) in [
            ("1. 什么是GIL?", "什么是GIL？"),
            (
                "什么是粘包? socket 中造成粘包的原因是什么? ",
                "什么是粘包？socket 中造成粘包的原因是什么？",
            ),
            (
                "七层模型? IP ,TCP/UDP ,HTTP 分别在哪层?",
                "七层模型？IP，TCP/UDP，HTTP 分别在哪层？",
            ),
            (
                "并行(parallel)和并发（concurrency）?",
                "并行（parallel）和并发（concurrency）？",
            ),
            (
                "为什么等待2MSL(最大报文生存时间)?",
                "为什么等待2MSL（最大报文生存时间）？",
            ),
            ("说说下面几个概念:同步,异步", "说说下面几个概念：同步，异步"),
            ("手写socket通信示例(2021/4/6-2)", "手写socket通信示例"),
            ("简述 TCP 和 UDP 的区别?(2)", "简述 TCP 和 UDP 的区别？"),
            ("多线程的作用（2020/11/29-4）", "多线程的作用"),
            ("缓存一致性 2022-01-02", "缓存一致性"),
            ("**3、HTTP 和 HTTPS 的区别：**", "HTTP 和 HTTPS 的区别"),
            ("Q12：什么是 CDN？", "什么是 CDN？"),
            ("第3题：什么是回表", "什么是回表"),
            ("问题：写一个函数", "写一个函数"),
            ("一、linux相关", "linux相关"),
            ("3.2.1 redis单线程", "redis单线程"),
            ("sql注入原理，", "sql注入原理"),
            ("读数据的代码:def read(q):", "读数据的代码：def read(q)"),
            (
                "`__init__()` 和 `__new__()` 的区别?",
                "`__init__()` 和 `__new__()` 的区别？",
            ),
            ("HTTP(S) 是什么?", "HTTP(S) 是什么？"),
            ("2MSL 是什么？", "2MSL 是什么？"),
            ("404 和 500 的区别", "404 和 500 的区别"),
            ("[链接标题](https://x.y) 是什么?", "链接标题 是什么？"),
            ("Ｑ１：ＴＣＰ是什么？", "TCP是什么？"),
            ("What is the GIL？", "What is the GIL?"),
            (
                "Explain A，B and C（briefly）！",
                "Explain A, B and C(briefly)!",
            ),
            ("述多进程开发\u{10fc00}中join", "述多进程开发中join"),
        ] {
            assert_eq!(normalize_title(raw), clean, "{raw}");
        }
    }

    #[test]
    fn answer_labels_and_placeholders() {
        let r = run(
            "1. 第一题？\n\n答：首先……\n\n2. 第二题？\n\npass\n\n3. 第三题？\n\n```python\npass\n```\n\n4. 第四题？\n\nTODO\n",
        );
        assert_eq!(r.questions[0].answer, "首先……");
        assert!(
            r.questions[1..]
                .iter()
                .all(|q| !q.has_answer && q.answer.is_empty())
        );
        assert_eq!(r.report.without_answers, 3);
    }

    #[test]
    fn setext_and_html_headings() {
        let doc = "Redis 面试题\n============\n\n什么是缓存穿透\n--------------\n\n布隆过滤器。\n\n\
                   <h2>什么是缓存雪崩</h2>\n\n过期时间加随机值。\n";
        let r = run(doc);
        assert_eq!(titles(&r), ["什么是缓存穿透", "什么是缓存雪崩"]);
        assert_eq!(r.questions[1].answer, "过期时间加随机值。");
    }

    #[test]
    fn nothing_found_in_prose() {
        let r = run("这是一段普通的文字。\n\n没有任何问题。\n");
        assert!(r.questions.is_empty());
        assert_eq!(r.report.style, None);
        assert_eq!(r.report.skipped.len(), 1);
    }

    // ----- output --------------------------------------------------------------------------------------

    #[test]
    fn ids_have_three_digits() {
        let doc: String = (1..=12)
            .map(|n| format!("## {n}. 问题{n}\n\n答案{n}\n\n"))
            .collect();
        let r = import(&doc, "my-notes").unwrap();
        assert_eq!(r.questions[0].id, "my-notes-imported-001");
        assert_eq!(r.questions[11].id, "my-notes-imported-012");
    }

    #[test]
    fn invalid_topics_are_refused() {
        for bad in ["", "Network", "my notes", "-x", "x-", "网络"] {
            assert!(
                matches!(import("## a", bad), Err(ImportError::InvalidTopic(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn awkward_answers_render_as_valid_toml() {
        let doc = "## 1. 三引号\n\n```python\ns = '''多行\n字符串'''\n```\n\n\
                   ## 2. 引号和反斜杠 \"x\" \\n\n\nC:\\Windows\\System32 和 \"\"\" 以及 ''\n\n\
                   ## 3. 控制字符\n\n响铃\u{7}字符\n\n## 4. 以引号结尾\n\nit's'\n\n## 5. 没有答案\n";
        let r = run(doc);
        assert_eq!(r.questions.len(), 5);
        assert_eq!(r.questions[1].title, "引号和反斜杠 \"x\" \\n");
        let text = render_toml(&r, "x.md");
        assert!(
            text.contains("answer = \"\"\"\n```python\ns = '''多行"),
            "{text}"
        );
        assert!(
            text.contains("answer = '''\nC:\\Windows\\System32"),
            "{text}"
        );
        assert_loads(&r);
    }

    #[test]
    fn multiline_strings_round_trip() {
        for s in [
            "plain",
            "a '''b''' c",
            "ends with '",
            "ends with ''",
            "back\\slash \"\"\" quotes",
            "tab\tand\u{1b}escape",
            "''''''",
        ] {
            let doc = format!("v = {}\n", multiline_string(s));
            let v: toml::Table = toml::from_str(&doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
            // the newline before the closing delimiter belongs to the value; the loader trims it
            assert_eq!(v["v"].as_str(), Some(format!("{s}\n").as_str()), "{doc}");
            let doc = format!("v = {}\n", basic_string(s));
            let v: toml::Table = toml::from_str(&doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
            assert_eq!(v["v"].as_str(), Some(s), "{doc}");
        }
    }

    #[test]
    fn an_existing_file_is_not_overwritten_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("new").join("bank");
        let path = write_topic_file(&out, "demo", "first", false).unwrap();
        assert_eq!(path, out.join("demo.toml"));
        match write_topic_file(&out, "demo", "second", false) {
            Err(ImportError::Exists(p)) => assert_eq!(p, path),
            other => panic!("expected Exists, got {other:?}"),
        }
        assert_eq!(fs::read_to_string(&path).unwrap(), "first");
        let err = write_topic_file(&out, "demo", "second", false).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        write_topic_file(&out, "demo", "second", true).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "second");
    }

    // ----- seeds: real lists from public blogs and repositories ----------------------------------------

    fn seed(name: &str) -> Imported {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/seeds")
            .join(name);
        let text = fs::read_to_string(&path).unwrap();
        let r = import(&text, "seed").unwrap();
        assert_loads(&r);
        for q in &r.questions {
            for junk in ["在这里插入图片描述", "红包", "一键收藏", "公众号"] {
                assert!(!q.answer.contains(junk), "{junk} in {}", q.answer);
            }
        }
        r
    }

    #[test]
    fn seed_000_csdn_page_as_plain_text() {
        // A CSDN post saved as plain text: the headings lost their markup, so only lines ending with "?" are
        // questions (read by hand: lines 30, 33, 41, 62 and 77; line 162 "“相关推荐”对你有帮助么?" is the
        // page footer; line 1 "面试题小计(1)" is the page title; the numbered lines 134 and 148 form no
        // sequence of three). 5 questions, all answered.
        let r = seed("000_7d493510fc734afd.txt");
        assert_eq!(r.report.style, Some(Style::QuestionLines));
        assert_eq!(r.questions.len(), 5);
        assert_eq!(r.report.with_answers, 5);
        assert_eq!(
            titles(&r),
            [
                "为什么需要TIME_WAIT？",
                "那么为什么TIME_WAIT的时间是2MSL呢？",
                "如何避免？",
                "这四个是上下文变量具体的作用是什么？",
                "Redis 6.0 之后为什么引入了多线程？"
            ]
        );
        let first = &r.questions[0];
        assert_eq!(first.line, 30);
        assert!(
            first
                .answer
                .starts_with("TIME_WAIT在四次挥手中有着不可替代的位置")
        );
        assert!(answer_of(&r, "如何避免？").starts_with("可设置套接字选项为SO_REUSEADDR"));
        let last = &r.questions[4].answer;
        assert!(
            last.ends_with("是事件驱动+回调函数的通知方式,因此主线程不会被阻塞"),
            "{last}"
        );
        assert!(!last.contains("点赞") && !last.contains("收藏"));
        assert!(
            r.report
                .skipped
                .iter()
                .any(|s| s.line == 154 && s.what.starts_with("page footer"))
        );
    }

    #[test]
    fn seed_001_flattened_markdown_notes() {
        // Markdown notes flattened to text (no blank lines, fences and headings lost). Counted by hand: 54
        // lines ending with "?" (`grep -c '[?？]$'`), plus 5 titles carrying a date or counter
        // (lines 2, 4, 28, 60, 451), plus 2 ending "?(2)" (29, 173), plus line 533 labelled "问题:" = 62.
        // Code lines like `time.sleep(3)` are not counters.
        let r = seed("001_0e21c74601c789fe.txt");
        assert_eq!(r.report.style, Some(Style::QuestionLines));
        assert_eq!(r.questions.len(), 62);
        assert_eq!(r.report.without_answers, 4);
        let unanswered: Vec<usize> = r
            .questions
            .iter()
            .filter(|q| !q.has_answer)
            .map(|q| q.line)
            .collect();
        assert_eq!(unanswered, [28, 60, 119, 349]);
        assert_eq!(r.questions[0].title, "三次握手和四次挥手");
        assert_eq!(r.questions[1].title, "手写socket通信示例");
        assert!(r.questions[1].answer.starts_with(
            "客户端和服务端实现。\n# client\nimport socket\nsock = socket.socket()\n"
        ));
        assert_eq!(r.questions[4].title, "简述 TCP 和 UDP 的区别以及优缺点？");
        assert!(titles(&r).contains(&"七层模型？IP，TCP/UDP，HTTP，RTSP，FTP 分别在哪层？"));
        assert!(titles(&r).contains(&"并行（parallel）和并发（concurrency）？"));
        assert_eq!(r.questions[61].title, "解释什么是异步非阻塞？");
        assert_eq!(r.report.skipped[0].what, "table of contents");
    }

    #[test]
    fn seed_002_numbered_lines_with_answer_labels() {
        // Questions numbered 1 to 10 ("1. ", "4。", "8。"); the list "2.TCP要求..." to "6.TCP保证..." inside the
        // answer of 9 does not continue the sequence. 10 questions, all answered.
        let r = seed("002_caaa8f0d1664954a.txt");
        assert_eq!(r.report.style, Some(Style::NumberedLines));
        assert_eq!(r.questions.len(), 10);
        assert_eq!(r.report.with_answers, 10);
        assert_eq!(r.questions[0].title, "请简述三次握手和四次挥手");
        assert!(r.questions[0].answer.starts_with("首先TCP是传输控制协议"));
        assert_eq!(r.questions[3].title, "get和post请求的区别？");
        assert_eq!(r.questions[5].title, "解释GIL");
        assert_eq!(r.questions[8].title, "TCP和UDP");
        assert_eq!(
            r.questions[8].answer,
            "1.基于连接与无连接\n\n2.TCP要求系统资源较多,UDP较少;\n\n3.UDP程序结构较简单\n\n\
             4.流模式(TCP)与数据报模式(UDP);\n\n5.TCP保证数据正确性,UDP可能丢包\n\n6.TCP保证数据顺序,UDP不保证"
        );
        assert!(
            r.questions[9]
                .answer
                .ends_with("实质上是TCP协议的长连接和短连接。")
        );
    }

    #[test]
    fn seed_003_numbered_headings_with_fenced_answers() {
        // "## 1." to "## 85.", one heading per question (`grep -c '^## '` = 85; every "# 答案:" is inside a
        // fence). 85 questions; 31 (排查思路) only says `pass`.
        let r = seed("003_550b11292ffd921e.txt");
        assert_eq!(r.report.style, Some(Style::Headings));
        assert_eq!(r.questions.len(), 85);
        assert_eq!(r.report.without_answers, 1);
        assert_eq!(r.questions[30].line, 613);
        assert!(!r.questions[30].has_answer);
        assert_eq!(r.questions[0].title, "python的底层网络交互模块有哪些？");
        assert_eq!(
            r.questions[0].answer,
            "```python\n# 答案:\n'''\nsocket, urllib,urllib3 , requests, grab, pycurl\n'''\n```"
        );
        let pools = answer_of(&r, "Python中如何使用线程池和进程池？");
        assert!(pools.contains(
            "with open(r'../uoko_house_id.txt', 'r', encoding='utf-8') as f:\u{a0}\u{a0}\u{a0}\u{a0}# with open语句"
        ));
        assert!(pools.contains("\n    roomIdLi = f.readlines()\n"));
        assert_eq!(r.questions[35].title, "述多进程开发中join与deamon的区别");
        assert_eq!(
            r.questions[53].answer,
            "在初始化Queue()对象时，(例如q=Queue()，若在括号中没有指定最大可接受的消息数量，或数\n\
             量为负值时，那么就代表可接受的消息数量没有上限-直到内存的尽头)"
        );
        assert_eq!(r.questions[84].title, "url的形式？");
        assert!(r.questions[84].answer.ends_with("1.2.html\n'''\n\n```"));
    }

    #[test]
    fn seed_004_nested_outline() {
        // An outline: "## 一、..." categories, "###"/"####"/"#####" questions. Headings with sub-headings
        // are categories (1. 常用linux系统调用, 3. poll/epoll/select, 3.3 epoll机制, mysql, 3.2 redis,
        // python垃圾回收机制, python递归), and "## 六、其他" is a leaf among five category siblings. Counted
        // by hand: 13 leaves under 一 (open ... ifconfig参数解释), 1 under 二, 3 under 三, 20 under 四,
        // 1 under 五 (5.1 django) = 38.
        let r = seed("004_38c4b9e65a4e6aa3.txt");
        assert_eq!(r.report.style, Some(Style::Headings));
        assert_eq!(r.questions.len(), 38);
        assert_eq!(r.report.without_answers, 0);
        let t = titles(&r);
        assert_eq!(t[0], "open");
        assert_eq!(t[37], "django");
        for title in [
            "进程、线程、协程、绿色线程",
            "epoll两种模式（LT/ET）",
            "适合用epoll的应用场景",
            "Event Loop的惊群效应",
            "sql注入原理",
            "redis单线程",
            "`new和init`的区别",
        ] {
            assert!(t.contains(&title), "{title} not in {t:?}");
        }
        for category in [
            "linux相关",
            "poll/epoll/select",
            "mysql",
            "其他",
            "python递归",
        ] {
            assert!(!t.contains(&category), "{category}");
        }
        assert!(answer_of(&r, "ifconfig参数解释").starts_with(
            "```\nifconfig\nens33: flags=4163<UP,BROADCAST,RUNNING,MULTICAST> mtu 1500\n"
        ));
        // the blockquoted "###### epoll基本流程" is part of an answer, not a heading
        assert!(answer_of(&r, "epoll原理与流程").contains("> ###### epoll基本流程"));
        let skipped: Vec<&str> = r.report.skipped.iter().map(|s| s.what.as_str()).collect();
        assert!(skipped.contains(&"\"linux相关\" (category)"), "{skipped:?}");
        assert!(
            skipped
                .iter()
                .any(|s| s.starts_with("\"mysql\" (category), 15 lines")),
            "{skipped:?}"
        );
    }
}
