//! The engine's reply text is light Markdown: `**bold**`, `` `code` ``, fenced code blocks, and backslash
//! escapes (a backslash before an ASCII punctuation character makes that character literal, outside code).
//! Text from users (display names, answers, what they typed) is escaped with [`literal`] before it goes into a
//! reply, so no adapter ever reads it as markup: Telegram HTML, Discord Markdown (which knows the same
//! escapes) and the console all show it as typed.

/// Escapes text for the light Markdown: every ASCII punctuation character gets a backslash, so a name such
/// as `**x**`, `[a](b)`, `||spoiler||` or `# title`, or an answer with a ```` ``` ```` line, shows as typed.
pub fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether `c` after a backslash is an escape (outside code).
pub fn escapable(c: char) -> bool {
    c.is_ascii_punctuation()
}

/// The light Markdown as a reader of plain text should see it: escapes resolved outside code, everything
/// else (markers included) as it is. The console shows replies this way.
pub fn unescape(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut in_fence = false;
    for (i, line) in src.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            out.push_str(line);
            continue;
        }
        if in_fence {
            out.push_str(line);
            continue;
        }
        let mut in_code = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '`' => {
                    in_code = !in_code;
                    out.push(c);
                }
                '\\' if !in_code && chars.peek().is_some_and(|&n| escapable(n)) => {
                    out.push(chars.next().expect("peeked"));
                }
                c => out.push(c),
            }
        }
    }
    out
}

/// Where a text may be cut without separating an escape's backslash from its character: `at` itself, or one
/// byte earlier when `at` falls right after an escaping backslash.
pub fn safe_cut(text: &str, at: usize) -> usize {
    let before = &text[..at];
    let backslashes = before.len() - before.trim_end_matches('\\').len();
    if backslashes % 2 == 1 && at > 1 {
        at - 1
    } else {
        at
    }
}

/// Hostile names and answers for the adapters' property tests.
#[cfg(test)]
pub(crate) mod samples {
    use proptest::prelude::*;

    /// A reveal naming a member and showing their answer, both hostile.
    pub fn reveal_with(name: &str, answer: &str) -> String {
        use crate::i18n::{
            Contradicted, Lang, Msg, QuestionView, ResultLine, RevealView, VerdictView,
        };
        Lang::Zh.render(&Msg::Reveal(RevealView {
            question: QuestionView {
                number: 1,
                topic: "网络".into(),
                difficulty: 2,
                question: "为什么要三次握手？".into(),
                choices: Vec::new(),
                several: false,
            },
            answer: "同步双方的初始序列号，`SYN` 与 **ACK**。".into(),
            correct: Vec::new(),
            points: vec!["同步序列号".into()],
            results: vec![ResultLine {
                name: name.into(),
                score: 50,
                points: 10,
                verdict: VerdictView::Graded,
                cap: None,
                covered: vec!["同步序列号".into()],
                missed: Vec::new(),
                contradicted: vec![Contradicted {
                    said: answer.chars().take(8).collect(),
                    denied: false,
                    point: "同步序列号".into(),
                }],
                answer: Some(answer.into()),
            }],
            peeked_only: vec![name.into()],
        }))
    }

    /// Names and answers made of everything that could be markup on some platform.
    pub fn hostile() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("**".to_string()),
            Just("`".to_string()),
            Just("```".to_string()),
            Just("```rust\n".to_string()),
            Just("||".to_string()),
            Just("[x](https://e.com)".to_string()),
            Just("# ".to_string()),
            Just("> ".to_string()),
            Just("<b>".to_string()),
            Just("&amp;".to_string()),
            Just("\\".to_string()),
            Just("@everyone".to_string()),
            Just("\n".to_string()),
            "[a-z_*~|<>&\\[\\]()#甲😀 -]{1,10}",
        ];
        proptest::collection::vec(piece, 1..12)
            .prop_map(|v| v.concat().trim().to_string())
            .prop_filter("not blank", |s| !s.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_text_survives_the_round_trip() {
        for s in [
            "**x**",
            "[a](http://b)",
            "||s||",
            "# h",
            "```rust",
            "a\\b",
            "甲 `c` 😀",
            "",
        ] {
            assert_eq!(unescape(&literal(s)), s);
        }
    }

    #[test]
    fn escapes_inside_code_stay_as_written() {
        assert_eq!(unescape("`a\\.b` \\*"), "`a\\.b` *");
        assert_eq!(
            unescape("```\nre = r'\\d+\\.'\n```\n\\_"),
            "```\nre = r'\\d+\\.'\n```\n_"
        );
    }

    #[test]
    fn a_cut_never_separates_an_escape() {
        let s = literal("**");
        assert_eq!(s, "\\*\\*");
        assert_eq!(safe_cut(&s, 1), 1, "too short to move");
        assert_eq!(safe_cut(&s, 3), 2);
        assert_eq!(safe_cut(&s, 2), 2);
        assert_eq!(safe_cut("a\\\\b", 3), 3, "an escaped backslash is whole");
    }
}
