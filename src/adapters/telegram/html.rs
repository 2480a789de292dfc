//! The engine's light Markdown rendered as Telegram HTML (`parse_mode=HTML`), and split under the length limit
//! so that every part is valid HTML on its own.
//!
//! Recognised: fenced code (a line starting with three backticks, optionally a language, up to the next such
//! line or the end), inline code (a pair of backticks on one line), bold (a pair of `**` on one line, outside
//! code) and backslash escapes outside code ([`crate::markup`]: user text arrives escaped, so it never becomes
//! markup). Everything else is text: `&`, `<` and `>` are escaped everywhere, so a name such as `<b>_*[x]` shows as
//! typed. An unmatched marker stays visible as text; every tag emitted is closed, whatever the input.

use crate::adapters::text::{fence_lang, split};
use crate::markup;

/// A piece of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Inline {
    Text(String),
    Bold(String),
    Code(String),
}

/// A line of text, or a fenced code block.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Block {
    Line(Vec<Inline>),
    Pre { lang: String, code: String },
}

fn parse(src: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut fence: Option<(String, Vec<&str>)> = None;
    for line in src.split('\n') {
        match (&mut fence, fence_lang(line)) {
            (None, Some(lang)) => fence = Some((lang, Vec::new())),
            (Some(_), Some(_)) => {
                let (lang, lines) = fence.take().expect("inside a fence");
                blocks.push(Block::Pre {
                    lang,
                    code: lines.join("\n"),
                });
            }
            (Some((_, lines)), None) => lines.push(line),
            (None, None) => blocks.push(Block::Line(inline(line))),
        }
    }
    // An unclosed fence runs to the end of the text.
    if let Some((lang, lines)) = fence {
        blocks.push(Block::Pre {
            lang,
            code: lines.join("\n"),
        });
    }
    blocks
}

/// Splits one line into text, inline code and bold. Code is found first, so markers inside it are literal;
/// outside code, an escaped character ([`crate::markup`]) is kept as a stand-in that no marker matches, and
/// turned back when the text is written out.
fn inline(line: &str) -> Vec<Inline> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if chars.get(i + 1).is_some_and(|&c| markup::escapable(c)) => {
                text.push(protect(chars[i + 1]));
                i += 2;
            }
            '`' => match chars[i + 1..].iter().position(|&c| c == '`') {
                Some(close) if close > 0 => {
                    bold(&text, &mut out);
                    text.clear();
                    out.push(Inline::Code(chars[i + 1..i + 1 + close].iter().collect()));
                    i += close + 2;
                }
                // An empty pair is text; so is a backtick without a closing one.
                Some(_) => {
                    text.push_str("``");
                    i += 2;
                }
                None => {
                    text.push('`');
                    i += 1;
                }
            },
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    bold(&text, &mut out);
    merge_text(out)
}

/// The first of 128 private-use code points that stand in for escaped ASCII characters while a line is parsed.
const PROTECTED: u32 = 0xF_0000;

fn protect(c: char) -> char {
    char::from_u32(PROTECTED + c as u32).expect("a private-use code point")
}

/// Turns the stand-ins of escaped characters back into the characters.
fn unprotect(text: &str) -> String {
    text.chars()
        .map(|c| match c as u32 {
            n if (PROTECTED..PROTECTED + 128).contains(&n) => {
                char::from_u32(n - PROTECTED).expect("ASCII")
            }
            _ => c,
        })
        .collect()
}

fn bold(text: &str, out: &mut Vec<Inline>) {
    let mut rest = text;
    while let Some(open) = rest.find("**") {
        let after = &rest[open + 2..];
        match after.find("**") {
            Some(close) if close > 0 => {
                out.push(Inline::Text(rest[..open].to_string()));
                out.push(Inline::Bold(after[..close].to_string()));
                rest = &after[close + 2..];
            }
            _ => {
                out.push(Inline::Text(rest[..open + 2].to_string()));
                rest = after;
            }
        }
    }
    out.push(Inline::Text(rest.to_string()));
}

fn merge_text(pieces: Vec<Inline>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(pieces.len());
    for p in pieces {
        match (out.last_mut(), p) {
            (_, Inline::Text(t)) if t.is_empty() => {}
            (Some(Inline::Text(prev)), Inline::Text(t)) => prev.push_str(&t),
            (_, p) => out.push(p),
        }
    }
    out
}

/// Escapes text for Telegram HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn html_of(blocks: &[Block]) -> String {
    let mut out = String::new();
    for (i, b) in blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match b {
            Block::Line(pieces) => {
                for p in pieces {
                    match p {
                        Inline::Text(t) => out.push_str(&escape(&unprotect(t))),
                        Inline::Bold(t) => {
                            out.push_str("<b>");
                            out.push_str(&escape(&unprotect(t)));
                            out.push_str("</b>");
                        }
                        Inline::Code(t) => {
                            out.push_str("<code>");
                            out.push_str(&escape(t));
                            out.push_str("</code>");
                        }
                    }
                }
            }
            // An empty block would be an empty entity: show nothing.
            Block::Pre { code, .. } if code.is_empty() => {}
            Block::Pre { lang, code } => {
                if lang.is_empty() {
                    out.push_str("<pre>");
                } else {
                    out.push_str("<pre><code class=\"language-");
                    out.push_str(lang);
                    out.push_str("\">");
                }
                out.push_str(&escape(code));
                out.push_str(if lang.is_empty() {
                    "</pre>"
                } else {
                    "</code></pre>"
                });
            }
        }
    }
    out
}

fn plain_of(blocks: &[Block]) -> String {
    let mut out = String::new();
    for (i, b) in blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match b {
            Block::Line(pieces) => {
                for p in pieces {
                    match p {
                        Inline::Text(t) | Inline::Bold(t) => out.push_str(&unprotect(t)),
                        Inline::Code(t) => out.push_str(t),
                    }
                }
            }
            Block::Pre { code, .. } => out.push_str(code),
        }
    }
    out
}

/// Renders light Markdown as Telegram HTML.
pub fn to_html(src: &str) -> String {
    html_of(&parse(src))
}

/// What a reader sees of [`to_html`]'s output: the text without the Markdown markers (the plain-text fallback).
pub fn to_plain(src: &str) -> String {
    plain_of(&parse(src))
}

/// Length as Telegram counts it: UTF-16 code units.
pub fn telegram_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// One message's worth of a long text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The part as Telegram HTML, valid on its own.
    pub html: String,
    /// The same part as plain text, for when Telegram refuses the HTML.
    pub plain: String,
}

/// Renders `src` as Telegram HTML in parts of at most `max` UTF-16 units each (after rendering), cut as
/// [`split`] cuts: at paragraph boundaries when possible, then at line ends, then inside a line, a code block
/// cut in two closed at the end of one part and reopened at the start of the next.
pub fn split_html(src: &str, max: usize) -> Vec<Part> {
    // A part is at least a fence (language names are capped at 20 characters) and one escaped character:
    // smaller limits cannot be honoured.
    split(src, max.max(128), |s| telegram_len(&to_html(s)))
        .into_iter()
        .map(|source| Part {
            html: to_html(&source),
            plain: to_plain(&source),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markup::samples;
    use proptest::prelude::*;

    /// Checks that `html` only uses the tags we emit, properly nested, and that text has no raw `<`, `>` or stray
    /// `&`; returns the visible text (tags removed, entities decoded).
    fn check_html(html: &str) -> Result<String, String> {
        let mut stack: Vec<&str> = Vec::new();
        let mut visible = String::new();
        let mut rest = html;
        while let Some(c) = rest.chars().next() {
            match c {
                '<' => {
                    let end = rest.find('>').ok_or("unterminated tag")?;
                    let tag = &rest[1..end];
                    if let Some(name) = tag.strip_prefix('/') {
                        match stack.pop() {
                            Some(open) if open == name => {}
                            other => return Err(format!("</{name}> closes {other:?}")),
                        }
                    } else {
                        let name = tag.split(' ').next().unwrap_or("");
                        match name {
                            "b" | "pre" => {}
                            "code"
                                if tag == "code" || tag.starts_with("code class=\"language-") => {}
                            _ => return Err(format!("unexpected tag <{tag}>")),
                        }
                        if stack.contains(&name) {
                            return Err(format!("<{name}> nested in itself"));
                        }
                        stack.push(name);
                    }
                    rest = &rest[end + 1..];
                }
                '&' => {
                    let (entity, ch) = [
                        ("&amp;", '&'),
                        ("&lt;", '<'),
                        ("&gt;", '>'),
                        ("&quot;", '"'),
                    ]
                    .into_iter()
                    .find(|(e, _)| rest.starts_with(e))
                    .ok_or_else(|| format!("stray & at {rest:?}"))?;
                    visible.push(ch);
                    rest = &rest[entity.len()..];
                }
                '>' => return Err("raw >".into()),
                c => {
                    visible.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        if !stack.is_empty() {
            return Err(format!("unclosed {stack:?}"));
        }
        Ok(visible)
    }

    #[test]
    fn escapes_hostile_names_and_renders_the_light_markdown() {
        assert_eq!(to_html("<b>_*[x] & co"), "&lt;b&gt;_*[x] &amp; co");
        assert_eq!(
            to_html("**粗体** and `a<b>` and **x"),
            "<b>粗体</b> and <code>a&lt;b&gt;</code> and **x"
        );
        assert_eq!(
            to_html("before\n```python\nif a < b:\n    pass\n```\nafter"),
            "before\n<pre><code class=\"language-python\">if a &lt; b:\n    pass</code></pre>\nafter"
        );
        assert_eq!(
            to_html("```\nx"),
            "<pre>x</pre>",
            "an unclosed fence is closed"
        );
        assert_eq!(to_html("`**`x**"), "<code>**</code>x**", "code first");
        assert_eq!(to_html("a `` b ` c"), "a `` b ` c");
        assert_eq!(
            to_html("```\"><script>\nx\n```"),
            "<pre>x</pre>",
            "a language name cannot break out of the attribute"
        );
        assert_eq!(to_plain("**a** `b`\n```rs\nc\n```"), "a b\nc");
    }

    #[test]
    fn long_texts_split_at_paragraphs_under_the_limit() {
        let para = "段".repeat(3000);
        let text = format!("{para}\n\n{para}\n\n短");
        let parts = split_html(&text, 4096);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].html, para);
        assert_eq!(parts[1].html, format!("{para}\n\n短"));
        let no_breaks = "x".repeat(9000);
        let parts = split_html(&no_breaks, 4096);
        assert_eq!(parts.iter().map(|p| p.html.len()).sum::<usize>(), 9000);
        assert_eq!(split_html("short", 4096)[0].html, "short");
    }

    #[test]
    fn the_length_is_counted_after_escaping() {
        // 3000 '<' render as 12000 characters.
        let parts = split_html(&"<".repeat(3000), 4096);
        assert!(parts.iter().all(|p| telegram_len(&p.html) <= 4096));
        assert_eq!(parts.iter().map(|p| p.plain.len()).sum::<usize>(), 3000);
        assert_eq!(parts.len(), 3);
    }

    #[test]
    fn a_code_block_cut_in_two_is_closed_and_reopened() {
        let code: Vec<String> = (0..400).map(|i| format!("let x{i} = {i} < 1;")).collect();
        let text = format!("intro\n\n```rust\n{}\n```\n\nthe end", code.join("\n"));
        let parts = split_html(&text, 4096);
        for p in &parts {
            assert!(telegram_len(&p.html) <= 4096);
            check_html(&p.html).unwrap();
        }
        // The intro is a paragraph of its own; the block does not fit one message.
        assert_eq!(parts[0].html, "intro");
        assert!(parts.len() >= 3, "{}", parts.len());
        for pair in parts[1..].windows(2) {
            assert!(
                pair[0]
                    .html
                    .starts_with("<pre><code class=\"language-rust\">let x")
            );
            assert!(pair[0].html.ends_with("</code></pre>"));
        }
        assert!(
            parts
                .last()
                .unwrap()
                .html
                .ends_with("</code></pre>\n\nthe end")
        );
        let lines: usize = parts.iter().map(|p| p.plain.matches("let x").count()).sum();
        assert_eq!(lines, 400, "no line lost or repeated");
    }

    fn markdownish() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("`".to_string()),
            Just("**".to_string()),
            Just("```".to_string()),
            Just("```py".to_string()),
            Just("\n".to_string()),
            Just("\n\n".to_string()),
            Just("<b>".to_string()),
            Just("&amp;".to_string()),
            Just("\"".to_string()),
            "[a-z<>&_*\\[\\] 甲😀]{0,12}",
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn rendered_tags_are_balanced_and_the_visible_text_is_kept(src in markdownish()) {
            let html = to_html(&src);
            let visible = check_html(&html).map_err(|e| TestCaseError::fail(format!("{e} in {html:?}")))?;
            prop_assert_eq!(visible, to_plain(&src));
        }

        #[test]
        fn text_without_markers_is_shown_exactly(src in "[a-z<>&_*\\[\\]\" \n甲😀]{0,80}") {
            // One pass leaves "**" behind in "***": collapse until no bold marker is left.
            let mut src = src;
            while src.contains("**") {
                src = src.replace("**", "*");
            }
            let html = to_html(&src);
            prop_assert_eq!(check_html(&html).map_err(TestCaseError::fail)?, src);
        }

        #[test]
        fn every_part_is_valid_html_under_the_limit(src in markdownish(), max in 128usize..300) {
            for part in split_html(&src, max) {
                prop_assert!(telegram_len(&part.html) <= max, "{} > {max}: {:?}", telegram_len(&part.html), part.html);
                let visible = check_html(&part.html).map_err(|e| TestCaseError::fail(format!("{e} in {:?}", part.html)))?;
                prop_assert_eq!(visible, part.plain);
            }
        }

        #[test]
        fn splitting_text_without_markers_loses_nothing(src in "[a-z<>& \n甲😀]{0,600}", max in 128usize..300) {
            let parts = split_html(&src, max);
            let kept: String = parts.iter().flat_map(|p| p.plain.chars()).filter(|c| !c.is_whitespace()).collect();
            let all: String = src.chars().filter(|c| !c.is_whitespace()).collect();
            prop_assert_eq!(kept, all);
        }
    }

    proptest! {
        #[test]
        fn telegram_shows_any_name_and_answer_literally(name in samples::hostile(), answer in samples::hostile()) {
            let name = name.replace('\n', " ");
            let text = samples::reveal_with(&name, &answer);
            let mut visible = String::new();
            for part in split_html(&text, 4096) {
                visible.push_str(&check_html(&part.html).map_err(|e| TestCaseError::fail(format!("{e}: {}", part.html)))?);
                visible.push('\n');
            }
            prop_assert!(visible.contains(&name), "{name:?} not shown in {visible:?}");
            for line in answer.lines().filter(|l| !l.trim().is_empty()) {
                prop_assert!(visible.contains(line.trim()), "{line:?} not shown in {visible:?}");
            }
            // No markup came from the user: the only bold is the template's, the only code the model answer's.
            let html: String = split_html(&text, 4096).into_iter().map(|p| p.html).collect();
            prop_assert_eq!(html.matches("<code>").count(), 1, "{}", html);
            prop_assert!(!html.contains("<pre>"), "{}", html);
        }

        #[test]
        fn console_shows_any_name_and_answer_literally(name in samples::hostile(), answer in samples::hostile()) {
            let name = name.replace('\n', " ");
            let shown = crate::markup::unescape(&samples::reveal_with(&name, &answer));
            prop_assert!(shown.contains(&name), "{name:?} not in {shown:?}");
            prop_assert!(shown.contains(answer.trim()), "{answer:?} not in {shown:?}");
        }
    }
}
