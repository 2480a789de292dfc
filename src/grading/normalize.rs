//! Text normalisation for matching answers against key-point phrases.
//!
//! Full-width characters become half-width, traditional characters become simplified (the `fast2s` table),
//! letters become lower case, English words are reduced to a light stem (`cached`, `caching`, `caches` all read
//! `cach`; `closer` and `closed` read `clos`), `n't` reads `not`, and every run of punctuation or spaces becomes
//! a single space between ASCII words and nothing elsewhere. So `TIME_WAIT`, `time-wait` and `Ｔｉｍｅ Ｗａｉｔ`
//! all read the same, and `三 次 握 手` reads `三次握手`.
//!
//! [`analyze`] also keeps where each sentence, clause and segment of the text begins, which the grader needs
//! to find negation scopes and term lists; [`normalize`] is the text alone.

/// Text after normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// The normalised text: lower case, half-width, simplified, stemmed; single spaces only between ASCII
    /// words.
    pub text: String,
}

/// How a run of text ended: the punctuation between it and the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// A sentence end: `。！？；`, `.` before a space, a new line.
    Sentence,
    /// A clause end inside a sentence: commas.
    Clause,
    /// An aside opens or closes: parentheses. It ends a negation's scope but not a statement.
    Aside,
    /// A colon: a clause end that introduces what follows.
    Colon,
}

/// A clause of the normalised text: `text[start..end]`, and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// The statement it belongs to (0-based): clauses joined only by an aside (parentheses) or a colon are
    /// one statement; a comma or a sentence end begins the next.
    pub statement: usize,
    /// What ended it (`Sentence` for the last one).
    pub ended_by: Break,
}

/// Normalised text with its clauses and its list segments (runs between list separators such as `、`, `/`
/// and commas, clause breaks, and spaces between Chinese words: the items of a list).
#[derive(Debug, Clone, Default)]
pub struct Analyzed {
    /// The normalised text.
    pub text: String,
    /// Clauses in order; they cover every byte of `text` that is not a separating space.
    pub clauses: Vec<Span>,
    /// Byte ranges of list segments.
    pub segments: Vec<(usize, usize)>,
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// Full-width to half-width, ideographic space to space.
/// A CJK unified ideograph of the basic block: a letter with no case (checked before the slower Unicode
/// tables).
fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

fn fold_width(raw: char) -> char {
    match raw {
        // Full-width punctuation that ends a clause stays itself: `await；asyncio` is two clauses, while an
        // ASCII `;` between two words (`a;b`) may be code.
        '，' | '；' | '：' | '！' | '？' | '（' | '）' => raw,
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(raw as u32 - 0xFEE0).unwrap_or(raw),
        '\u{3000}' => ' ',
        _ => raw,
    }
}

/// Words whose ending is not an inflection: names that would meet another name once stemmed (`https` is not
/// a plural of `http`).
const KEEP_WHOLE: &[&str] = &["https", "alias", "bias"];

/// The light stem of an English word: a plural or verb ending and a final `e` are dropped, so the forms of
/// one word meet (`cache`, `cached`, `caches`, `caching` -> `cach`; `close`, `closer`, `closing` -> `clos`).
/// Words with digits are kept as they are; words of four letters lose only a plural `s` (`keys`, `logs`).
pub fn stem(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    stem_into(word, &mut out);
    out
}

/// Appends the stem of `word` to `out` (see [`stem`]).
fn stem_into(word: &str, out: &mut String) {
    if !word.bytes().all(|b| b.is_ascii_lowercase()) || word.len() < 4 || KEEP_WHOLE.contains(&word)
    {
        out.push_str(word);
        return;
    }
    let keeps_s = |w: &str| ["ss", "us", "is"].iter().any(|x| w.ends_with(x));
    if word.len() == 4 {
        let strip =
            (word.ends_with('s') && !keeps_s(word) && !word.ends_with("es")) || word.ends_with('e');
        out.push_str(if strip { &word[..3] } else { word });
        return;
    }
    // The stem is cut from the word in place, at the end of `out`.
    let start = out.len();
    out.push_str(word);
    let cut = |out: &mut String, n: usize| out.truncate(out.len() - n);
    let len = |out: &String| out.len() - start;
    // Plurals and third persons.
    // `-ies` keeps its `i` (`caches` -> `cach`, `entries` -> `entri`).
    let plural_es = out.ends_with("ies")
        || out.ends_with("es") && {
            let base = &out[start..out.len() - 2];
            base.len() >= 3 && !base.ends_with('s') || base.ends_with("ss")
        };
    if plural_es {
        cut(out, 2);
    } else if !keeps_s(&out[start..]) && out.ends_with('s') {
        cut(out, 1);
    }
    // Verb and comparative endings.
    for suffix in ["ing", "ed", "er"] {
        if out.ends_with(suffix) && len(out) >= suffix.len() + 3 {
            cut(out, suffix.len());
            break;
        }
    }
    if out.ends_with('e') && len(out) >= 4 {
        cut(out, 1);
    }
    if out.ends_with('y') {
        cut(out, 1);
        out.push('i');
    }
    // A doubled final consonant from -ing/-ed (`running`, `stopped`) reads as one.
    let bytes = &out.as_bytes()[start..];
    let n = bytes.len();
    if n >= 4 && bytes[n - 1] == bytes[n - 2] && !b"aeiouls".contains(&bytes[n - 1]) {
        cut(out, 1);
    }
}

/// Normalises text for matching.
pub fn normalize(input: &str) -> Normalized {
    Normalized {
        text: analyze(input).text,
    }
}

/// What a punctuation character does to the structure, given its neighbours.
fn break_of(c: char, prev: Option<char>, next: Option<char>) -> Option<Break> {
    let between_words = prev.is_some_and(is_word) && next.is_some_and(is_word);
    match c {
        '\n' | '。' => Some(Break::Sentence),
        '.' | '!' | '?' | ';' if !between_words => Some(Break::Sentence),
        '；' | '！' | '？' => Some(Break::Sentence),
        '，' => Some(Break::Clause),
        '（' | '）' | '(' | ')' | '【' | '】' => Some(Break::Aside),
        ',' if !between_words => Some(Break::Clause),
        '：' => Some(Break::Colon),
        ':' if !between_words && next != Some('/') => Some(Break::Colon),
        _ => None,
    }
}

/// A set of characters of the Basic Multilingual Plane, one bit each: a lookup per character of an answer
/// must cost next to nothing.
pub(crate) struct CharSet(Vec<u64>);

impl CharSet {
    pub(crate) fn new(chars: impl IntoIterator<Item = char>) -> CharSet {
        let mut bits = vec![0u64; 0x10000 / 64];
        for c in chars {
            let c = c as usize;
            assert!(c < 0x10000, "characters of the Basic Multilingual Plane");
            bits[c / 64] |= 1 << (c % 64);
        }
        CharSet(bits)
    }

    pub(crate) fn contains(&self, c: char) -> bool {
        let c = c as usize;
        c < 0x10000 && self.0[c / 64] & (1 << (c % 64)) != 0
    }
}

/// Characters that the traditional-to-simplified conversion may change: most answers have none, and then
/// the conversion is skipped.
fn traditional() -> &'static CharSet {
    static SET: std::sync::OnceLock<CharSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        // fast2s converts only three-byte characters; these three change only next to certain others.
        let mut buf = [0u8; 4];
        let changed = ('\u{800}'..='\u{FFFF}').filter(|c| {
            fast2s::convert(c.encode_utf8(&mut buf))
                .chars()
                .ne(std::iter::once(*c))
        });
        CharSet::new(changed.chain(['藉', '著', '苧']))
    })
}

/// Normalises text and records its sentences, clauses and list segments.
pub fn analyze(input: &str) -> Analyzed {
    // Lower case: ASCII here (most of the text), other letters after the conversion to simplified characters.
    // Traditional to simplified first (it changes only Chinese characters), then width and case, one
    // character at a time; the rare text with a contraction or a non-ASCII capital takes the longer way.
    let traditional = traditional();
    let simplified: std::borrow::Cow<str> = if input.chars().any(|c| traditional.contains(c)) {
        fast2s::convert(input).into()
    } else {
        input.into()
    };
    let mut chars: Vec<char> = Vec::with_capacity(simplified.len());
    let mut rare = false;
    for c in simplified.chars() {
        let c = fold_width(c).to_ascii_lowercase();
        rare |= matches!(c, '\'' | '\u{2019}') || !c.is_ascii() && !is_han(c) && c.is_uppercase();
        chars.push(c);
    }
    const CANNOT: [char; 6] = ['c', 'a', 'n', 'n', 'o', 't'];
    if rare || chars.windows(6).any(|w| w == CANNOT) {
        let folded: String = chars.iter().collect::<String>().to_lowercase();
        let folded = folded
            .replace("can't", "can not")
            .replace("won't", "will not")
            .replace("n't", " not")
            .replace("n\u{2019}t", " not")
            .replace("cannot", "can not");
        chars = folded.chars().collect();
    }

    let mut out = Analyzed {
        text: String::with_capacity(chars.len() * 3),
        clauses: Vec::with_capacity(16),
        segments: Vec::with_capacity(32),
    };
    let mut word = String::new();
    let mut pending_space = false;
    let mut clause_start = 0;
    let mut statement = 0;
    let mut segment_start: Option<usize> = None;

    fn flush(out: &mut Analyzed, word: &mut String, pending_space: &mut bool) {
        if word.is_empty() {
            return;
        }
        if *pending_space && out.text.chars().next_back().is_some_and(is_word) {
            out.text.push(' ');
        }
        *pending_space = false;
        stem_into(word, &mut out.text);
        word.clear();
    }

    for (i, &c) in chars.iter().enumerate() {
        if is_word(c) {
            if segment_start.is_none() {
                if pending_space && out.text.chars().next_back().is_some_and(is_word) {
                    // The separating space is pushed with the word; the segment starts after it.
                    segment_start = Some(out.text.len() + 1);
                } else {
                    segment_start = Some(out.text.len());
                }
            }
            word.push(c);
            continue;
        }
        flush(&mut out, &mut word, &mut pending_space);
        if is_han(c) || c.is_alphanumeric() {
            if segment_start.is_none() {
                segment_start = Some(out.text.len());
            }
            pending_space = false;
            out.text.push(c);
            continue;
        }
        // A list separator or a clause break ends a segment (a list item); so does a space between two
        // Chinese characters. Other punctuation (`.`, `_`, brackets, a space around an English word) does not.
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let between_chinese = c.is_whitespace()
            && prev.is_some_and(|p| !p.is_ascii() && p.is_alphanumeric())
            && next.is_some_and(|n| !n.is_ascii() && n.is_alphanumeric());
        let ends_segment = between_chinese
            || matches!(c, '、' | '/' | '|' | '｜')
            || matches!(
                break_of(c, prev, next),
                Some(Break::Sentence | Break::Clause | Break::Colon)
            );
        if ends_segment
            && let Some(s) = segment_start.take()
            && out.text.len() > s
        {
            out.segments.push((s, out.text.len()));
        }
        pending_space = true;
        if let Some(b) = break_of(c, prev, next)
            && out.text.len() > clause_start
        {
            out.clauses.push(Span {
                start: clause_start,
                end: out.text.len(),
                statement,
                ended_by: b,
            });
            clause_start = out.text.len();
            // An aside or a colon (`LVS：四层负载均衡`) keeps the statement going.
            if !matches!(b, Break::Aside | Break::Colon) {
                statement += 1;
            }
        } else if let Some(b) = break_of(c, prev, next)
            && !matches!(b, Break::Aside | Break::Colon)
            && let Some(last) = out.clauses.last_mut()
            && last.statement == statement
        {
            // A break right after an aside or a colon (`（等 2MSL）。`) still ends the statement.
            last.ended_by = b;
            statement += 1;
        }
    }
    flush(&mut out, &mut word, &mut pending_space);
    if let Some(s) = segment_start.take()
        && out.text.len() > s
    {
        out.segments.push((s, out.text.len()));
    }
    if out.text.len() > clause_start {
        out.clauses.push(Span {
            start: clause_start,
            end: out.text.len(),
            statement,
            ended_by: Break::Sentence,
        });
    }
    // A clause that starts on the space between two ASCII words begins after it.
    for cl in &mut out.clauses {
        if out.text[cl.start..].starts_with(' ') {
            cl.start += 1;
        }
    }
    out
}

impl Normalized {
    /// Characters that carry meaning (spaces excluded).
    pub fn char_len(&self) -> usize {
        self.text.chars().filter(|c| *c != ' ').count()
    }

    /// Whether the phrase occurs in this text. English words match whole words only (`air` is not in
    /// `chair`); word forms meet through [`stem`].
    pub fn contains_phrase(&self, phrase: &Normalized) -> bool {
        find_phrase(&self.text, &phrase.text).next().is_some()
    }
}

/// Whether `phrase`, found in `text` at `start`, stands on its own: an English word is not glued to letters
/// or digits on either side (`air` is not in `chair`).
pub fn whole_at(text: &str, start: usize, phrase: &str) -> bool {
    // Words are ASCII, and no byte of a longer UTF-8 character is ASCII: neighbours are read as bytes.
    let is_word_byte = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    let bytes = text.as_bytes();
    let glued_before =
        phrase.starts_with(is_word) && start > 0 && is_word_byte(bytes.get(start - 1));
    let glued_after = phrase.ends_with(is_word) && is_word_byte(bytes.get(start + phrase.len()));
    !glued_before && !glued_after
}

/// Byte offsets where `phrase` (normalised) occurs in `text` (normalised), whole ASCII words only.
pub fn find_phrase<'a>(text: &'a str, phrase: &'a str) -> impl Iterator<Item = usize> + 'a {
    let matches = (!phrase.is_empty()).then(|| text.match_indices(phrase));
    matches
        .into_iter()
        .flatten()
        .map(|(start, _)| start)
        .filter(move |&start| whole_at(text, start, phrase))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(text: &str, phrase: &str) -> bool {
        normalize(text).contains_phrase(&normalize(phrase))
    }

    #[test]
    fn width_case_punctuation_and_spaces_are_ignored() {
        assert_eq!(normalize("ＴＩＭＥ＿ＷＡＩＴ").text, "tim wait");
        assert_eq!(normalize("time-wait").text, "tim wait");
        assert_eq!(normalize("三 次，握手。").text, "三次握手");
        assert_eq!(normalize("用TCP协议").text, "用tcp协议");
        assert!(has("客户端进入 TIME_WAIT 状态", "time-wait"));
    }

    #[test]
    fn english_matches_whole_words_and_word_forms_meet() {
        assert!(!has("a chair", "air"));
        assert!(has("hot air", "air"));
        assert!(has("three-way handshakes", "three-way handshake"));
        assert!(has("keys and logs", "key and log"));
        assert!(has("sequence numbers", "sequence number"));
        assert!(has("two servers", "serve"));
        assert!(has("使用GIL锁", "gil"));
        assert!(has("the page is cached", "cache"));
        assert!(has("caching pages", "cache page"));
        assert!(has("the active closer waits", "active close"));
        assert!(has("it closed the socket", "close"));
        assert!(has("two queries", "query"));
        assert!(has("stopped threads", "stop thread"));
        assert!(has("many processes", "process"));
        assert!(!has("a processor", "process"));
        // A name is not a plural of another name.
        assert!(!has("https uses port 443", "http use"));
        assert!(has("https uses port 443", "https"));
    }

    #[test]
    fn contractions_read_as_not() {
        assert_eq!(normalize("doesn't").text, "does not");
        assert_eq!(normalize("It can't").text, "it can not");
        assert_eq!(normalize("cannot").text, "can not");
    }

    #[test]
    fn traditional_characters_match_simplified_phrases() {
        assert!(has("三次握手建立連線", "连线"));
        assert!(has("網絡協議", "网络协议"));
        // Characters the earlier hand-made table lacked.
        assert!(has("之後沒有來回，裡面無狀態", "之后没有来回，里面无状态"));
    }

    #[test]
    fn clauses_and_sentences_follow_the_punctuation() {
        let a = analyze(
            "不是三次握手，而是两次。TCP is reliable, UDP is not. GIL（全局锁）版本 3.5 可用",
        );
        let texts: Vec<&str> = a.clauses.iter().map(|c| &a.text[c.start..c.end]).collect();
        assert_eq!(
            texts,
            [
                "不是三次握手",
                "而是两次",
                "tcp is reliabl",
                "udp is not",
                "gil",
                "全局锁",
                "版本3 5可用"
            ]
        );
        let statements: Vec<usize> = a.clauses.iter().map(|c| c.statement).collect();
        assert_eq!(statements, [0, 1, 2, 3, 4, 4, 4]);
    }

    #[test]
    fn segments_split_lists_at_every_separator() {
        let a = analyze(
            "关键词：SYN、ACK/ISN、半连接队列 全连接队列, the sequence number；用 TCP 协议 (os.fork)",
        );
        let segs: Vec<&str> = a.segments.iter().map(|&(s, e)| &a.text[s..e]).collect();
        assert_eq!(
            segs,
            [
                "关键词",
                "syn",
                "ack",
                "isn",
                "半连接队列",
                "全连接队列",
                "the sequenc numb",
                "用tcp协议os fork"
            ]
        );
    }
}
