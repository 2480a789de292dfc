//! Grading: which key points an answer states, its score 0-100, and the no-credit rules. Deterministic and
//! explainable: a [`Grade`] lists the covered points and the contradicted ones, so the reveal can show what was
//! covered, missed and said wrongly.
//!
//! The grader reads statements, not words (`content/README.md` tells bank authors how to use it):
//! - a phrase counts only outside a negation scope (see `negation.rs`);
//! - `A & B` needs both parts in one statement (a clause, with its asides), and a point's `all` groups must each be stated too;
//! - a point's `wrong` phrases are the myth it corrects: stating one loses the point, and its weight is taken
//!   off what the other points earned;
//! - phrases that occur in the question's own text give no credit;
//! - only distinct text that does not restate the question counts toward length, and a short answer or a bare
//!   list of terms is capped;
//! - copies of the model answer, one way or the other, earn nothing;
//! - an answer that reads much more like another question's answer than like this one's (compared with the
//!   whole bank, see `relevance.rs`) earns nothing: key phrases shared by neighbouring questions credit it
//!   otherwise.
//!
//! Each question is prepared once ([`Prepared`]): its phrases normalised, its question text and model answer
//! indexed. [`Grader`] holds the prepared bank.

pub mod copy;
pub mod eval;
pub mod lint;
mod negation;
pub mod normalize;
pub mod relevance;

use std::collections::HashMap;

use rustc_hash::FxHashSet;

use crate::bank::{Bank, Question};
pub use crate::vocab::{Cap, Verdict};
use aho_corasick::AhoCorasick;
use copy::Shingles;
use negation::{Scope, scopes, units_of};
use normalize::{Analyzed, analyze, find_phrase, normalize, whole_at};
use relevance::Relevance;

/// A point the answer contradicts: it stated the myth the point corrects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contradiction {
    /// Index of the key point.
    pub point: usize,
    /// The `wrong` phrase the answer stated, or the point's phrase it denied, as written in the bank.
    pub said: String,
    /// Whether the answer denied one of the point's phrases (`said`) rather than stating a myth.
    pub denied: bool,
}

/// The result of grading one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grade {
    /// Credited score 0-100 (0 when the verdict earns no credit).
    pub score: u8,
    /// Indexes of covered key points.
    pub covered: Vec<usize>,
    /// Points whose myth the answer stated (never also covered).
    pub contradicted: Vec<Contradiction>,
    /// Why.
    pub verdict: Verdict,
    /// When the verdict is [`Verdict::OffTopic`]: the question the answer reads as answering.
    pub reads_as: Option<String>,
    /// A cap that lowered the score below what the covered points are worth, if any.
    pub cap: Option<Cap>,
}

/// Text that is this many units long per key point (a Chinese character 1, an English word about 2), not
/// counting what repeats or restates the question, can earn full marks; shorter text is capped in proportion.
/// A point is a statement with its reason, not a term: covering five points in fifty characters is a list.
const FULL_UNITS_PER_POINT: f32 = 20.0;
/// ... but never less than this many units for the whole answer.
const FULL_LENGTH_UNITS: f32 = 60.0;
/// A stated myth or a denied point costs this many times the point's weight.
const MYTH_COST: u32 = 2;
/// An answer that contradicts this many points is a wrong answer, whatever terms it uses ...
const CONTRADICTIONS: usize = 2;
/// ... and earns at most this.
const CONTRADICTED_CAP: u8 = 20;
/// Verbs that make a key point say what is not so, besides the negation words ("消除部分依赖").
const NEGATIVE_VERBS: &[&str] = &["消除", "避免", "防止", "禁止", "去掉", "拒绝", "取消"];
/// A bare list of terms earns at most this.
const TERM_LIST_CAP: u8 = 20;
/// A piece of text this long (in units) is a statement even without a statement word.
const STATEMENT_UNITS: f32 = 10.0;
/// An answer is a bare list when at least this share of it is terms, in at least `TERM_LIST_MIN` segments.
const TERM_SHARE: f32 = 0.6;
const TERM_LIST_MIN: usize = 5;
/// A statement (a clause with its asides) of this many items is an enumeration.
const LIST_CLAUSE_ITEMS: usize = 4;
/// An answer with at least this share of its text in enumerations is a list.
const LIST_SHARE: f32 = 0.7;
/// An answer with this many statements is an explanation, however many short items it lists too.
const ENOUGH_STATEMENTS: usize = 6;

/// A phrase: parts that must all be stated in one sentence (`A & B`), normalised.
#[derive(Debug, Clone)]
struct Pattern {
    source: String,
    parts: Vec<String>,
    /// Whether the pattern holds a negation itself (`不需要每次 & 全部`): then its own words deny its parts,
    /// and a denial of it means nothing.
    negative: bool,
    /// Index of each part in [`Prepared::parts`].
    ids: Vec<usize>,
}

impl Pattern {
    fn parse(source: &str) -> Pattern {
        Pattern {
            negative: negation::holds_negation(&normalize(source).text),
            source: source.to_string(),
            parts: source
                .split('&')
                .map(|p| normalize(p).text)
                .filter(|p| !p.is_empty())
                .collect(),
            ids: Vec::new(),
        }
    }

    /// Whether every part occurs in the question's own text (then it gives no credit).
    fn is_in(&self, text: &str) -> bool {
        !self.parts.is_empty()
            && self
                .parts
                .iter()
                .all(|p| find_phrase(text, p).next().is_some())
    }
}

#[derive(Debug, Clone)]
struct PreparedPoint {
    weight: u32,
    /// Phrases not found in the question; one must be stated.
    phrases: Vec<Pattern>,
    /// Groups of which one phrase each must be stated too.
    all: Vec<Vec<Pattern>>,
    wrong: Vec<Pattern>,
    /// Whether the point itself says what is not so ("没有部分依赖", "不保证已应用"): an answer that denies
    /// one of its phrases agrees with it rather than contradicting it.
    says_not: bool,
}

/// A question prepared for grading: normalised phrases, the question's word pairs, the model's shingles.
#[derive(Debug, Clone)]
pub struct Prepared {
    points: Vec<PreparedPoint>,
    /// Every distinct part of every phrase, normalised; patterns refer to them by index.
    parts: Vec<String>,
    /// Finds all parts in one pass over an answer.
    automaton: Option<AhoCorasick>,
    question_pairs: FxHashSet<(Token, Token)>,
    /// The question's terms that start with a negation word (`不丢`): they deny nothing in an answer.
    labels: Vec<String>,
    model: Shingles,
}

/// A unit of text for the restatement test, hashed: a Chinese character or an English word.
type Token = u64;

/// The tokens of a normalised text with their units (a character 1, an English word 2). Words are hashed
/// with FNV-1a; characters are their code point with a high bit set, so the two never meet.
fn tokens(text: &str) -> Vec<(Token, f32)> {
    let mut out = Vec::new();
    let mut word: Option<u64> = None;
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() {
            let h = word.unwrap_or(0xcbf2_9ce4_8422_2325);
            word = Some((h ^ c as u64).wrapping_mul(0x0000_0100_0000_01b3) & !(1 << 63));
            continue;
        }
        if let Some(w) = word.take() {
            out.push((w, 2.0));
        }
        if c != ' ' {
            out.push(((1 << 63) | c as u64, 1.0));
        }
    }
    out
}

fn pairs(text: &str) -> FxHashSet<(Token, Token)> {
    let t = tokens(text);
    t.windows(2).map(|w| (w[0].0, w[1].0)).collect()
}

/// How a phrase part occurs in an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Said {
    /// Outright, inside one statement.
    Stated,
    /// Outright, over the end of a statement.
    Spanning,
    /// Denied by a negation word.
    Denied,
}

/// The occurrences of phrase parts in an answer: part index, how, and the statement (see
/// [`Reading::statement_at`]), sorted and without repeats. An answer holds a few dozen, so a sorted list beats
/// a table per part.
struct Hits {
    found: Vec<(usize, Said, (usize, usize))>,
    /// One bit per part: whether it occurs at all (most patterns fail here, without a search).
    present: Vec<u64>,
}

impl Hits {
    fn new(mut found: Vec<(usize, Said, (usize, usize))>, parts: usize) -> Hits {
        found.sort_unstable();
        found.dedup();
        let mut present = vec![0u64; parts.div_ceil(64)];
        for &(id, _, _) in &found {
            present[id / 64] |= 1 << (id % 64);
        }
        Hits { found, present }
    }

    /// Whether every one of the parts occurs somewhere, in any way.
    fn all_present(&self, ids: &[usize]) -> bool {
        ids.iter()
            .all(|&id| self.present[id / 64] & (1 << (id % 64)) != 0)
    }

    /// The statements where part `id` occurs as `how`.
    fn of(&self, id: usize, how: Said) -> impl Iterator<Item = (usize, usize)> + '_ {
        let from = self.found.partition_point(|&(i, h, _)| (i, h) < (id, how));
        self.found[from..]
            .iter()
            .take_while(move |&&(i, h, _)| (i, h) == (id, how))
            .map(|&(_, _, at)| at)
    }

    fn has(&self, id: usize, how: Said, at: (usize, usize)) -> bool {
        self.found.binary_search(&(id, how, at)).is_ok()
    }
}

/// An answer, analysed once.
struct Reading {
    analyzed: Analyzed,
    scopes: Vec<Scope>,
    /// Byte positions where a contrast (`而`, `but` …) begins a new statement inside a clause, in order.
    contrasts: Vec<usize>,
    /// The answer without its code blocks, when it has any (code is not a list of terms).
    prose: Option<Box<Reading>>,
}

/// Text without its fenced code blocks and its lines of code (chat users paste code without fences).
fn without_code(text: &str) -> String {
    text.split("```")
        .step_by(2)
        .flat_map(str::lines)
        .filter(|line| !is_code_line(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether an answer holds code: a fenced block or a line that reads as code.
fn holds_code(text: &str) -> bool {
    text.contains("```") || text.lines().any(is_code_line)
}

/// Whether a line reads as code: almost all ASCII, and a statement keyword at its start, a call, an
/// assignment or a block opener.
fn is_code_line(line: &str) -> bool {
    const STARTS: &[&str] = &[
        "import ",
        "from ",
        "def ",
        "async def ",
        "class ",
        "return",
        "await ",
        "for ",
        "while ",
        "if ",
        "elif ",
        "else:",
        "with ",
        "async with ",
        "try:",
        "except",
        "finally:",
        "raise ",
        "yield",
        "print(",
        "@",
    ];
    let line = line.trim();
    let (ascii, all) = line
        .chars()
        .filter(|c| !c.is_whitespace())
        .fold((0, 0), |(a, n), c| (a + usize::from(c.is_ascii()), n + 1));
    if all < 4 || ascii * 10 < all * 9 {
        return false;
    }
    STARTS.iter().any(|s| line.starts_with(s))
        || line.ends_with(':')
        || line.ends_with(')') && line.contains('(')
        || line.contains(" = ")
}

impl Reading {
    /// Reads an answer; `labels` are the question's terms that start with a negation word.
    fn new(answer: &str, labels: &[String]) -> Reading {
        let analyzed = analyze(answer);
        let scopes = scopes(&analyzed, labels);
        let prose = holds_code(answer).then(|| {
            let prose = without_code(answer);
            let analyzed = analyze(&prose);
            Box::new(Reading {
                scopes: Vec::new(),
                contrasts: Vec::new(),
                analyzed,
                prose: None,
            })
        });
        let contrasts = contrast_positions(&analyzed.text);
        Reading {
            analyzed,
            scopes,
            contrasts,
            prose,
        }
    }

    /// The statement a byte is in: its clause's statement, split further at a contrast (`而`, `但`, `whereas`,
    /// `but` …), so that "交换机在二层而路由器在三层" is two statements.
    fn statement_at(&self, pos: usize) -> (usize, usize) {
        let cl = &self.analyzed.clauses;
        let i = cl.partition_point(|c| c.end <= pos);
        let Some(c) = cl.get(i) else {
            return (usize::MAX, 0);
        };
        let from = self.contrasts.partition_point(|&k| k < c.start);
        let to = self.contrasts.partition_point(|&k| k < pos);
        (c.statement, to - from)
    }

    /// Where each of `parts` occurs: the statements of its occurrences said outright, and of those denied by a
    /// negation word.
    fn hits(&self, parts: &[String], automaton: Option<&AhoCorasick>) -> Hits {
        let mut found = Vec::new();
        if let Some(automaton) = automaton {
            let text = &self.analyzed.text;
            for m in automaton.find_overlapping_iter(text) {
                let id = m.pattern().as_usize();
                if !whole_at(text, m.start(), &parts[id]) {
                    continue;
                }
                let at = self.statement_at(m.start());
                // A part that runs over the end of a statement (`D, B, C, A, object`; `MyISAM支持事务` in "相比
                // MyISAM，支持事务") can cover a point but never states a myth.
                let how = match self.scopes[m.start()] {
                    Scope::Stated if at != self.statement_at(m.end() - 1) => Said::Spanning,
                    Scope::Stated => Said::Stated,
                    Scope::Denied => Said::Denied,
                    Scope::SetAside => continue,
                };
                found.push((id, how, at));
            }
        }
        Hits::new(found, parts.len())
    }

    /// Distinct clauses (a repeated clause counts once).
    fn distinct_clauses(&self) -> Vec<&str> {
        let mut seen = FxHashSet::default();
        self.analyzed
            .clauses
            .iter()
            .map(|c| &self.analyzed.text[c.start..c.end])
            .filter(|c| seen.insert(*c))
            .collect()
    }

    /// Units of distinct text, and of distinct text that does not restate the question (a token next to the
    /// same neighbour as in the question is a restatement).
    fn distinct_and_own_units(&self, question: &FxHashSet<(Token, Token)>) -> (f32, f32) {
        let clauses = self.distinct_clauses();
        let distinct = clauses.iter().map(|c| units_of(c)).sum();
        let mut total = 0.0;
        for clause in clauses {
            let t = tokens(clause);
            for (i, &(tok, u)) in t.iter().enumerate() {
                let with_prev = i > 0 && question.contains(&(t[i - 1].0, tok));
                let with_next = i + 1 < t.len() && question.contains(&(tok, t[i + 1].0));
                if !with_prev && !with_next {
                    total += u;
                }
            }
        }
        (distinct, total)
    }

    /// Whether the answer is mostly a bare list of terms: most of its text is in short pieces (between any
    /// punctuation) without a word that makes a statement of them.
    fn is_term_list(&self) -> bool {
        if let Some(prose) = &self.prose {
            return prose.is_term_list();
        }
        let text = &self.analyzed.text;
        let (mut pieces, mut statements, mut total, mut terms) = (0, 0, 0.0, 0.0);
        for &(s, e) in &self.analyzed.segments {
            let piece = &text[s..e];
            let u = units_of(piece);
            pieces += 1;
            total += u;
            if u < STATEMENT_UNITS && !makes_statement(piece) {
                terms += u;
            } else {
                statements += 1;
            }
        }
        if pieces < TERM_LIST_MIN || total <= 0.0 {
            return false;
        }
        // Short items without a statement word, or most of the text in clauses that only enumerate
        // (`A、B、C、D`, one clause of many items).
        let bare = statements < ENOUGH_STATEMENTS && terms >= TERM_SHARE * total;
        let clauses = &self.analyzed.clauses;
        let mut listed = 0.0;
        let mut i = 0;
        while i < clauses.len() {
            // One statement: a clause with its asides.
            let mut j = i;
            while j + 1 < clauses.len() && clauses[j + 1].statement == clauses[i].statement {
                j += 1;
            }
            let (start, end) = (clauses[i].start, clauses[j].end);
            // Segments are in text order: the ones inside this statement form one run.
            let segments = &self.analyzed.segments;
            let first = segments.partition_point(|&(s, _)| s < start);
            let items = segments[first..]
                .iter()
                .take_while(|&&(_, e)| e <= end)
                .count();
            if items >= LIST_CLAUSE_ITEMS {
                listed += units_of(&text[start..end]);
            }
            i = j + 1;
        }
        bare || listed >= LIST_SHARE * total
    }
}

/// Words that begin a contrasting statement inside a clause.
const CONTRASTS: &[&str] = &[
    "而", "但", "whereas", "while", "but", "however", "相反", "反之",
];
/// Words with `而` or `但` that continue a statement rather than contrast (`反而`: "instead", said of the same
/// subject).
const NOT_CONTRASTS: &[&str] = &["从而", "因而", "进而", "而且", "不但", "反而"];

/// Where contrasts begin in a normalised text (one scan; English contrasts only at word starts).
fn contrast_positions(text: &str) -> Vec<usize> {
    // Normalised like the text (`however` reads `howev`).
    static WORDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let words = WORDS.get_or_init(|| CONTRASTS.iter().map(|w| normalize(w).text).collect());
    let is_word = |c: char| c.is_ascii_alphanumeric();
    let mut at = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let starts_word = is_word(c) && !prev.is_some_and(is_word);
        prev = Some(c);
        if !(starts_word || matches!(c, '而' | '但' | '相' | '反')) {
            continue;
        }
        let rest = &text[i..];
        let hit = words.iter().any(|w| {
            w.as_bytes()[0] == rest.as_bytes()[0]
                && rest.starts_with(w)
                && !(w.ends_with(is_word) && rest[w.len()..].starts_with(is_word))
        });
        if hit
            && !NOT_CONTRASTS.iter().any(|n| {
                n.char_indices().any(|(off, _)| {
                    i >= off
                        && text.is_char_boundary(i - off)
                        && text[i - off..].starts_with(n)
                        && (n[off..].starts_with('而') || n[off..].starts_with('但'))
                })
            })
        {
            at.push(i);
        }
    }
    at
}

/// Words that make a piece of text a statement rather than a term: verbs, copulas, particles, connectives.
const STATEMENT_WORDS_ZH: &[&str] = &[
    "的", "是", "了", "把", "被", "就", "让", "给", "也", "都", "而", "但", "才", "还", "很", "更",
    "再", "先", "所以", "因为", "如果", "可以", "能够", "需要", "通过", "导致", "用来", "用于",
    "负责", "保证", "避免", "不", "没", "解决", "适合", "适用", "支持", "实现", "提供", "包括",
    "包含", "属于", "表示", "称为", "叫做", "依赖", "取决", "发生", "出现", "存在", "一般", "通常",
    "只能", "只有", "相比", "意味", "容易", "变成", "成为", "进入", "创建", "绑定", "等待", "接受",
    "调用", "返回", "发起", "发送", "发出", "收到", "回复", "完成", "触发", "唤醒", "拿到", "得到",
    "变为", "交给", "放入", "放到", "取出", "加入", "开始", "结束",
];
/// Verbs of one character, which make a statement only right before a name in Latin letters ("客户端发 FIN",
/// "服务端回 ACK", "再调 accept"): on their own they are parts of terms (回表, 并发).
const VERBS_BEFORE_NAMES: &str =
    "发回调读写收传用加删查改存取放开关等送设连到向从在由为按将跟进出做拿交";
/// ... and verbs that make one right after such a name ("String 做缓存", "Hash 存对象"; not 连, as in TCP 连接).
const VERBS_AFTER_NAMES: &str = "做存用发回读写调放取删查改送拿交";
const STATEMENT_WORDS_EN: &[&str] = &[
    "is", "are", "was", "be", "can", "will", "do", "does", "has", "have", "to", "so", "because",
    "when", "if", "the", "it", "not", "use", "then", "by", "for", "with", "from", "into", "once",
    "each", "a", "an", "of", "in", "on", "at", "as", "that", "which", "there", "they", "we", "you",
    "must", "should", "may", "than", "only",
];

/// The English statement words as the normaliser writes them (stemmed: `because` reads `becaus`).
fn english_statement_words() -> &'static FxHashSet<String> {
    static WORDS: std::sync::OnceLock<FxHashSet<String>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        STATEMENT_WORDS_EN
            .iter()
            .map(|w| normalize(w).text)
            .collect()
    })
}

fn makes_statement(piece: &str) -> bool {
    static SINGLE: std::sync::OnceLock<(Vec<char>, AhoCorasick)> = std::sync::OnceLock::new();
    let (chars, words) = SINGLE.get_or_init(|| {
        let mut chars: Vec<char> = STATEMENT_WORDS_ZH
            .iter()
            .filter(|w| w.chars().count() == 1)
            .filter_map(|w| w.chars().next())
            .collect();
        chars.sort_unstable();
        let words: Vec<&str> = STATEMENT_WORDS_ZH
            .iter()
            .copied()
            .filter(|w| w.chars().count() > 1)
            .collect();
        (chars, AhoCorasick::new(words).expect("a small word list"))
    });
    // Only characters next to a Latin letter are looked up (most pieces have none).
    let verb_by_name = || {
        let bytes = piece.as_bytes();
        piece.char_indices().any(|(i, c)| {
            let end = i + c.len_utf8();
            !c.is_ascii()
                && (bytes.get(end).is_some_and(u8::is_ascii_alphabetic)
                    && VERBS_BEFORE_NAMES.contains(c)
                    || i > 0
                        && bytes[i - 1].is_ascii_alphanumeric()
                        && VERBS_AFTER_NAMES.contains(c))
        })
    };
    piece.chars().any(|c| chars.binary_search(&c).is_ok())
        || words.is_match(piece)
        || piece
            .split(' ')
            .any(|w| english_statement_words().contains(w))
        || verb_by_name()
}

impl Prepared {
    /// Prepares a question. Multiple-choice questions have no points and are graded by letter.
    pub fn new(q: &Question) -> Prepared {
        let question_text = normalize(&q.question).text;
        let active = |phrases: &[String]| -> Vec<Pattern> {
            phrases
                .iter()
                .map(|p| Pattern::parse(p))
                .filter(|p| !p.parts.is_empty() && !p.is_in(&question_text))
                .collect()
        };
        let mut points: Vec<PreparedPoint> = q
            .points
            .iter()
            .map(|p| PreparedPoint {
                weight: p.weight,
                phrases: active(&p.phrases),
                all: p.all.iter().map(|g| active(g)).collect(),
                wrong: p
                    .wrong
                    .iter()
                    .map(|w| Pattern::parse(w))
                    .filter(|w| !w.parts.is_empty())
                    .collect(),
                says_not: negation::holds_negation(&normalize(&p.text).text)
                    || NEGATIVE_VERBS.iter().any(|v| p.text.contains(v)),
            })
            .collect();
        let mut parts: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for p in &mut points {
            let patterns = p
                .phrases
                .iter_mut()
                .chain(p.all.iter_mut().flatten())
                .chain(p.wrong.iter_mut());
            for pattern in patterns {
                pattern.ids = pattern
                    .parts
                    .iter()
                    .map(|part| {
                        *index.entry(part.clone()).or_insert_with(|| {
                            parts.push(part.clone());
                            parts.len() - 1
                        })
                    })
                    .collect();
            }
        }
        let automaton = (!parts.is_empty())
            .then(|| AhoCorasick::new(&parts).ok())
            .flatten();
        Prepared {
            points,
            parts,
            automaton,
            question_pairs: pairs(&question_text),
            labels: negation::question_labels(&analyze(&q.question)),
            model: Shingles::of(&normalize(&q.answer)),
        }
    }

    /// Grades a free-text answer. `min_chars` is the shortest answer (in distinct meaningful characters) that
    /// can earn credit.
    pub fn grade(&self, answer: &str, min_chars: usize) -> Grade {
        self.grade_among(answer, min_chars, None)
    }

    /// Grades a free-text answer, and with `bank` (this question's id and the bank's index) gives no credit
    /// to an answer that reads as answering another question.
    pub fn grade_among(
        &self,
        answer: &str,
        min_chars: usize,
        bank: Option<(&str, &Relevance)>,
    ) -> Grade {
        let reading = Reading::new(answer, &self.labels);
        let (covered, contradicted) = self.coverage(&reading);
        let (distinct, own) = reading.distinct_and_own_units(&self.question_pairs);
        let mut verdict = if (distinct as usize) < min_chars {
            Verdict::TooShort
        } else if self.model.copied_by(&reading.analyzed.text) {
            Verdict::CopiedModel
        } else {
            Verdict::Graded
        };
        let total: u32 = self.points.iter().map(|p| p.weight).sum();
        let got: u32 = covered.iter().map(|&i| self.points[i].weight).sum();
        // A myth stated costs twice what its point is worth (saying the opposite is worse than saying
        // nothing): right terms around wrong statements do not add up.
        let lost: u32 = contradicted
            .iter()
            .map(|c| MYTH_COST * self.points[c.point].weight)
            .sum();
        let got = got.saturating_sub(lost);
        let mut score = if verdict.earns_credit() && total > 0 {
            ((got * 100 + total / 2) / total) as u8
        } else {
            0
        };
        let full = FULL_LENGTH_UNITS.max(FULL_UNITS_PER_POINT * self.points.len() as f32);
        let length_cap = (100.0 * own / full).round().min(100.0) as u8;
        let mut cap = None;
        if score > length_cap {
            score = length_cap;
            cap = Some(Cap::Short(length_cap));
        }
        if reading.is_term_list() && score > TERM_LIST_CAP {
            score = TERM_LIST_CAP;
            cap = Some(Cap::TermList(TERM_LIST_CAP));
        }
        if contradicted.len() >= CONTRADICTIONS && score > CONTRADICTED_CAP {
            score = CONTRADICTED_CAP;
            cap = Some(Cap::Contradicted(CONTRADICTED_CAP));
        }
        // Only an answer that would earn something is compared with the rest of the bank.
        let reads_as = (score > 0)
            .then(|| bank.and_then(|(own, index)| index.closer_than(own, &reading.analyzed.text)))
            .flatten()
            .map(str::to_string);
        if reads_as.is_some() {
            verdict = Verdict::OffTopic;
            score = 0;
            cap = None;
        }
        Grade {
            score,
            covered,
            contradicted,
            verdict,
            reads_as,
            cap,
        }
    }
}

impl Prepared {
    fn coverage(&self, reading: &Reading) -> (Vec<usize>, Vec<Contradiction>) {
        let hits = reading.hits(&self.parts, self.automaton.as_ref());
        // A pattern is stated when all its parts occur, outside negations, in one statement; a myth's parts
        // each end in the statement they start in.
        let said = |id: usize, at: (usize, usize), myth: bool| {
            hits.has(id, Said::Stated, at) || !myth && hits.has(id, Said::Spanning, at)
        };
        let states_as = |p: &Pattern, myth: bool| -> bool {
            let Some((&first, rest)) = p.ids.split_first() else {
                return false;
            };
            if !hits.all_present(&p.ids) {
                return false;
            }
            let spanning = (!myth).then(|| hits.of(first, Said::Spanning));
            hits.of(first, Said::Stated)
                .chain(spanning.into_iter().flatten())
                .any(|at| rest.iter().all(|&id| said(id, at, myth)))
        };
        let states = |p: &Pattern| states_as(p, false);
        // A pattern is denied when all its parts occur in one statement and a negation word denies one of them.
        let denies = |p: &Pattern| -> bool {
            let occurs =
                |id: usize, at| hits.has(id, Said::Stated, at) || hits.has(id, Said::Denied, at);
            hits.all_present(&p.ids)
                && p.ids.iter().any(|&d| {
                    hits.of(d, Said::Denied)
                        .any(|at| p.ids.iter().all(|&id| occurs(id, at)))
                })
        };
        let mut covered = Vec::new();
        let mut contradicted = Vec::new();
        for (i, p) in self.points.iter().enumerate() {
            if let Some(w) = p.wrong.iter().find(|w| states_as(w, true)) {
                contradicted.push(Contradiction {
                    point: i,
                    said: w.source.clone(),
                    denied: false,
                });
                continue;
            }
            let stated = |group: &[Pattern]| group.iter().any(&states);
            if stated(&p.phrases) {
                if p.all.iter().all(|g| stated(g)) {
                    covered.push(i);
                }
            } else if let Some(d) = p
                .phrases
                .iter()
                .find(|d| !p.says_not && !d.negative && denies(d))
            {
                // Denied and never said: the answer states the opposite of the point.
                contradicted.push(Contradiction {
                    point: i,
                    said: d.source.clone(),
                    denied: true,
                });
            }
        }
        (covered, contradicted)
    }

    /// The points a text states and the ones it contradicts, with no length cap or copy rule (for checking
    /// the bank against its own model answers).
    pub fn statements(&self, text: &str) -> (Vec<usize>, Vec<Contradiction>) {
        self.coverage(&Reading::new(text, &self.labels))
    }

    /// Whether a phrase is inert for this question: all its parts occur in the question text.
    pub fn restates_question(q: &Question, phrase: &str) -> bool {
        Pattern::parse(phrase).is_in(&normalize(&q.question).text)
    }
}

/// The bank's questions, each prepared for grading once, the first time it is graded (a bank holds tens of
/// thousands of phrases; a process that grades one question a day should not wait for all of them at start).
#[derive(Debug, Default)]
pub struct Grader {
    prepared: HashMap<String, std::sync::OnceLock<Prepared>>,
    /// The free-text questions, indexed the first time an answer is graded to tell which one it answers.
    questions: Vec<Question>,
    relevance: std::sync::OnceLock<Relevance>,
}

impl Grader {
    /// A grader for every free-text question of a bank.
    pub fn new(bank: &Bank) -> Grader {
        let questions: Vec<Question> = bank
            .questions()
            .iter()
            .filter(|q| !q.is_choice())
            .cloned()
            .collect();
        Grader {
            prepared: questions
                .iter()
                .map(|q| (q.id.clone(), std::sync::OnceLock::new()))
                .collect(),
            questions,
            relevance: std::sync::OnceLock::new(),
        }
    }

    /// Grades a free-text answer to `q` (prepared now if the bank given to [`Grader::new`] lacked it). An
    /// answer that reads much more like another question's answer than like this one's earns nothing
    /// ([`Verdict::OffTopic`]).
    pub fn grade(&self, q: &Question, answer: &str, min_chars: usize) -> Grade {
        let relevance = self
            .relevance
            .get_or_init(|| Relevance::new(&self.questions));
        let bank = Some((q.id.as_str(), relevance));
        match self.prepared.get(&q.id) {
            Some(cell) => cell
                .get_or_init(|| Prepared::new(q))
                .grade_among(answer, min_chars, bank),
            None => Prepared::new(q).grade_among(answer, min_chars, bank),
        }
    }
}

/// Grades a free-text answer against a question's key points, preparing the question on the way (the engine
/// uses a [`Grader`] instead).
pub fn grade_text(q: &Question, answer: &str, min_chars: usize) -> Grade {
    Prepared::new(q).grade(answer, min_chars)
}

/// Reads the chosen letters of a multiple-choice answer (`B`, `a, c`, `AC`, `选 B`).
/// Returns `None` when the text names no choice or a letter beyond the last choice.
pub fn parse_choice(q: &Question, answer: &str) -> Option<Vec<usize>> {
    let norm = normalize(answer).text.replace("选项", "").replace("选", "");
    let mut picks = Vec::new();
    for c in norm.chars().filter(|c| *c != ' ') {
        if !c.is_ascii_lowercase() {
            return None;
        }
        let i = (c as u8 - b'a') as usize;
        if i >= q.choices.len() {
            return None;
        }
        if !picks.contains(&i) {
            picks.push(i);
        }
    }
    picks.sort_unstable();
    (!picks.is_empty()).then_some(picks)
}

/// Grades a multiple-choice answer: all right choices and nothing else scores 100.
pub fn grade_choice(q: &Question, picks: &[usize]) -> Grade {
    let right = picks == q.correct.as_slice();
    Grade {
        score: if right { 100 } else { 0 },
        covered: picks.to_vec(),
        contradicted: Vec::new(),
        verdict: if right {
            Verdict::ChoiceRight
        } else {
            Verdict::ChoiceWrong
        },
        reads_as: None,
        cap: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{KeyPoint, Location, Question};

    fn point(text: &str, weight: u32, phrases: &[&str]) -> KeyPoint {
        KeyPoint {
            text: text.into(),
            weight,
            phrases: phrases.iter().map(|p| p.to_string()).collect(),
            all: vec![],
            wrong: vec![],
            location: Location {
                file: "x".into(),
                line: 1,
            },
        }
    }

    fn question() -> Question {
        Question {
            id: "t".into(),
            topic: "network".into(),
            difficulty: 2,
            tags: vec!["tcp".into()],
            question: "TCP 建立连接的过程是怎样的？".into(),
            answer: "客户端发送 SYN，服务端回复 SYN+ACK，客户端再发送 ACK；这样双方都确认了对方的初始序列号 ISN。".into(),
            points: vec![
                point("三次握手", 2, &["三次握手", "three-way handshake", "syn"]),
                point("同步初始序列号", 1, &["序列号", "isn", "sequence number"]),
                point("防止旧连接", 1, &["旧连接", "历史连接", "old connection"]),
            ],
            choices: vec![],
            correct: vec![],
            followups: vec![],
            draft: false,
            location: Location {
                file: "x".into(),
                line: 1,
            },
        }
    }

    const FULL: &str = "客户端先发一个同步报文，服务端确认后也发自己的同步报文，客户端再确认，一共三次握手。\
                        这样双方都交换并确认了各自的初始序列号，而且能避免网络里滞留的历史连接请求被误建立。";

    #[test]
    fn score_is_the_weighted_share_of_covered_points() {
        let g = grade_text(&question(), FULL, 10);
        assert_eq!(g.covered, vec![0, 1, 2]);
        assert_eq!(g.score, 100);
        let g = grade_text(
            &question(),
            "TCP 通过 three-way handshake 建立连接，在这个过程里面双方会同步彼此的 ISN，这是可靠传输的基础，\
             之后每个字节都按这个编号确认和重传，丢包和乱序都能被发现并处理。",
            10,
        );
        assert_eq!(g.covered, vec![0, 1]);
        assert_eq!(g.score, 75);
        assert_eq!(g.verdict, Verdict::Graded);
    }

    #[test]
    fn short_and_copied_answers_earn_nothing() {
        let q = question();
        assert_eq!(grade_text(&q, "三次握手", 10).verdict, Verdict::TooShort);
        assert_eq!(grade_text(&q, "三次握手", 10).score, 0);
        // Repeating a clause does not make an answer longer.
        let repeated = "三次握手，三次握手，三次握手，三次握手";
        assert_eq!(grade_text(&q, repeated, 10).verdict, Verdict::TooShort);
        let copied = grade_text(&q, &q.answer.clone(), 10);
        assert_eq!(copied.verdict, Verdict::CopiedModel);
        assert_eq!(copied.score, 0);
        let padded = format!(
            "{}另外 UDP 没有连接的概念，适合视频通话这类场景。",
            q.answer
        );
        assert_eq!(grade_text(&q, &padded, 10).verdict, Verdict::CopiedModel);
    }

    #[test]
    fn a_negated_phrase_covers_nothing() {
        let q = question();
        let g = grade_text(
            &q,
            "建立连接并不需要三次握手，也没有什么序列号要同步，更不用担心历史连接，直接发数据就行了。",
            10,
        );
        assert!(g.covered.is_empty(), "{g:?}");
        let g = grade_text(
            &q,
            "It is not a three-way handshake and there is no sequence number: the client just sends data.",
            10,
        );
        assert!(g.covered.is_empty(), "{g:?}");
    }

    #[test]
    fn a_wrong_phrase_loses_the_point_and_is_reported() {
        let mut q = question();
        q.points[1].wrong = vec!["序列号 & 从 0 开始".into()];
        let g = grade_text(
            &q,
            "三次握手的时候双方的序列号都是从 0 开始的，这样最简单，也能防止历史连接被误建立。",
            10,
        );
        assert_eq!(g.covered, vec![0, 2]);
        assert_eq!(
            g.contradicted,
            vec![Contradiction {
                point: 1,
                said: "序列号 & 从 0 开始".into(),
                denied: false,
            }]
        );
        // Points 0 and 2 earn 3 of 4; the myth takes off twice the weight of its point (1): 1 of 4.
        assert_eq!(g.score, 25);
        // Stated as a myth, it is not a contradiction.
        let g = grade_text(
            &q,
            "有人误以为序列号从 0 开始，其实三次握手时双方各自随机选择初始序列号。",
            10,
        );
        assert!(g.contradicted.is_empty(), "{g:?}");
        assert_eq!(g.covered, vec![0, 1]);
    }

    #[test]
    fn a_denied_point_is_contradicted_and_costs_twice_its_weight() {
        let q = question();
        let g = grade_text(
            &q,
            "TCP 建连接要三次握手，但是双方并不交换序列号，数据直接按到达的顺序交给应用程序处理。",
            10,
        );
        assert_eq!(g.covered, vec![0]);
        assert_eq!(
            g.contradicted,
            vec![Contradiction {
                point: 1,
                said: "序列号".into(),
                denied: true,
            }]
        );
        // Point 0 earns 2 of 4, the denial of point 1 takes twice its weight (1) off.
        assert_eq!(g.score, 0);
        // A question (有没有), a set-aside myth or a point said elsewhere is no denial.
        for answer in [
            "三次握手时要看双方有没有交换序列号，这样才能防止历史连接被误建立，整个过程一共三个报文。",
            "有人以为握手时不交换序列号，其实三次握手正是为了同步双方的初始序列号，也能防止旧连接。",
            "三次握手同步双方的序列号；第三个报文丢了也不会重发序列号，旧连接请求会被 RST 拒绝。",
        ] {
            let g = grade_text(&q, answer, 10);
            assert!(g.contradicted.is_empty(), "{answer}: {g:?}");
        }
    }

    #[test]
    fn denying_what_a_point_itself_denies_agrees_with_it() {
        let mut q = question();
        q.points[2] = point("2NF 消除部分依赖", 1, &["部分依赖", "partial dependency"]);
        let g = grade_text(
            &q,
            "三次握手同步双方的初始序列号；2NF 要求非主属性完全依赖整个键，不能有部分依赖，也就是 no partial dependency。",
            10,
        );
        assert!(g.contradicted.is_empty(), "{g:?}");
    }

    #[test]
    fn an_answer_that_contradicts_two_points_is_capped_whatever_else_it_names() {
        let mut q = question();
        q.points.push(point("半连接队列", 3, &["半连接队列"]));
        q.points.push(point("超时重传", 3, &["超时重传"]));
        q.points[2].wrong = vec!["历史连接 & 没有影响".into()];
        let answer = "三次握手：客户端发 SYN，服务端回 SYN+ACK 并把连接放进半连接队列，SYN+ACK 丢了会超时重传，\
                      客户端再回 ACK。但双方不交换序列号，数据按到达顺序交给应用；网络里滞留的历史连接请求也没有影响。";
        let g = grade_text(&q, answer, 10);
        assert_eq!(g.contradicted.len(), 2, "{g:?}");
        assert_eq!(g.covered, vec![0, 3, 4], "{g:?}");
        // 8 of 10 named, 4 off for the two contradictions: 40, capped at 20.
        assert_eq!(
            (g.score, g.cap),
            (CONTRADICTED_CAP, Some(Cap::Contradicted(CONTRADICTED_CAP)))
        );
    }

    #[test]
    fn a_myth_is_stated_inside_one_statement() {
        let mut q = question();
        q.points[1].wrong = vec!["MyISAM支持事务".into()];
        let g = grade_text(
            &q,
            "InnoDB 相比 MyISAM，支持事务和行锁；三次握手时双方交换序列号，能防止旧连接被误建立。",
            10,
        );
        assert!(g.contradicted.is_empty(), "{g:?}");
        assert_eq!(g.covered, vec![0, 1, 2]);
    }

    #[test]
    fn all_groups_and_same_sentence_parts_are_required() {
        let mut q = question();
        q.points[2].phrases = vec!["连接 & 失效".into()];
        q.points[2].all = vec![vec!["服务端".into(), "server".into()]];
        let apart =
            "客户端和服务端进行三次握手交换序列号。网络里的请求可能已经失效了。之后才建立连接。";
        assert!(!grade_text(&q, apart, 10).covered.contains(&2));
        let together =
            "三次握手交换序列号，也防止已经失效的连接请求突然到达服务端，被服务端误当成新请求。";
        assert!(grade_text(&q, together, 10).covered.contains(&2));
        let no_server =
            "三次握手交换序列号，也防止已经失效的连接请求突然到达，而被误当成新请求来处理。";
        assert!(!grade_text(&q, no_server, 10).covered.contains(&2));
    }

    #[test]
    fn a_contrast_starts_a_new_statement() {
        let mut q = question();
        q.points[2].wrong = vec!["udp & 历史连接".into(), "udp & old connection".into()];
        let zh = "TCP 三次握手交换序列号，能防止历史连接而 UDP 没有握手也不管这些，所以更轻量也更快一些。";
        assert!(grade_text(&q, zh, 10).contradicted.is_empty());
        let en = "TCP's handshake syncs sequence numbers and blocks old connections whereas UDP has no handshake at all.";
        assert!(grade_text(&q, en, 10).contradicted.is_empty());
        // `反而` ("instead") goes on about the same subject: the myth is still one statement.
        let myth =
            "UDP 反而能防止历史连接，TCP 三次握手交换序列号，一共发三个报文，比 UDP 更可靠一些。";
        assert_eq!(grade_text(&q, myth, 10).contradicted.len(), 1);
    }

    #[test]
    fn phrases_from_the_question_give_no_credit() {
        let mut q = question();
        q.points[0].phrases.push("建立连接".into());
        let g = grade_text(
            &q,
            "TCP 建立连接的过程就是建立连接，建立连接以后就可以通信了，大概就是这样的一个过程。",
            10,
        );
        assert!(g.covered.is_empty(), "{g:?}");
    }

    #[test]
    fn restating_the_question_and_listing_terms_are_capped() {
        let q = question();
        let restated = grade_text(
            &q,
            "TCP 建立连接的过程是怎样的呢？TCP 建立连接有三次握手的过程。",
            10,
        );
        assert!(restated.score <= 30, "{restated:?}");
        let list = grade_text(
            &q,
            "关键词：三次握手、SYN、ACK、ISN、序列号、历史连接、半连接队列",
            10,
        );
        assert_eq!(list.covered, vec![0, 1, 2]);
        assert!(list.score <= TERM_LIST_CAP, "{list:?}");
    }

    #[test]
    fn full_marks_need_explanation_in_proportion_to_the_points() {
        let mut q = question();
        assert_eq!(
            grade_text(&q, FULL, 10).score,
            100,
            "three points explained"
        );
        q.points.push(point("超时重传", 1, &["超时重传"]));
        q.points.push(point("半连接队列", 1, &["半连接队列"]));
        q.points.push(point("全连接队列", 1, &["全连接队列"]));
        let six = format!("{FULL}另外要有超时重传、半连接队列和全连接队列。");
        let g = grade_text(&q, &six, 10);
        assert_eq!(g.covered.len(), 6, "{g:?}");
        let Some(Cap::Short(max)) = g.cap else {
            panic!("six points named in a hundred characters are capped: {g:?}")
        };
        assert_eq!(g.score, max);
        assert!((60..100).contains(&max), "{g:?}");
        let explained = format!(
            "{six}第一次握手时客户端带上自己的初始序列号，第二次服务端确认它并带上自己的，第三次客户端确认，\
             双方都知道对方从哪个编号开始；服务端收到 SYN 后把连接放进半连接队列，丢了 SYN+ACK 就超时重传，\
             收到最后的 ACK 才挪进全连接队列等 accept 取走；旧的 SYN 因为序列号对不上会被客户端用 RST 拒掉。"
        );
        let g = grade_text(&q, &explained, 10);
        assert_eq!((g.score, g.cap), (100, None), "{g:?}");
        let list = grade_text(
            &question(),
            "关键词：三次握手、SYN、ACK、ISN、序列号、历史连接、半连接队列",
            10,
        );
        assert_eq!(list.cap, Some(Cap::TermList(TERM_LIST_CAP)));
    }

    #[test]
    fn short_statements_with_common_verbs_are_not_a_list_of_terms() {
        let prose = "四种：读未提交、读已提交、可重复读、串行化。读未提交有脏读，读已提交解决脏读，\
                     可重复读解决不可重复读，串行化解决幻读。InnoDB 默认是可重复读。";
        assert!(!Reading::new(prose, &[]).is_term_list());
        let list =
            "读未提交、读已提交、可重复读、串行化、脏读、不可重复读、幻读、MVCC、next-key lock";
        assert!(Reading::new(list, &[]).is_term_list());
    }

    #[test]
    fn steps_with_protocol_names_and_unfenced_code_are_not_a_list_of_terms() {
        let steps = "客户端发 FIN，进入 FIN_WAIT_1；服务端回 ACK，进入 CLOSE_WAIT；服务端发 FIN，进入 LAST_ACK；\
                     客户端回 ACK，进入 TIME_WAIT。";
        assert!(!Reading::new(steps, &[]).is_term_list());
        let uses = "String 做缓存，Hash 存对象，List 做队列，Set 去重，ZSet 做排行榜。";
        assert!(!Reading::new(uses, &[]).is_term_list());
        let code = "import socket\ns = socket.socket()\ns.bind((\"127.0.0.1\", 9000))\ns.listen()\n\
                    conn, addr = s.accept()\nconn.sendall(conn.recv(1024))\nconn.close()";
        assert!(!Reading::new(code, &[]).is_term_list());
        // Names next to each other, or a Chinese term after a name, are still terms.
        let list =
            "FIN、ACK、FIN_WAIT_1、CLOSE_WAIT、LAST_ACK、TIME_WAIT、TCP 连接、2MSL、回表、并发";
        assert!(Reading::new(list, &[]).is_term_list());
    }

    #[test]
    fn english_word_forms_and_traditional_characters_count() {
        let q = question();
        let g = grade_text(
            &q,
            "The three-way handshakes synchronise both sides' sequence numbers, and stop old connections from being accepted by mistake.",
            10,
        );
        assert_eq!(g.covered, vec![0, 1, 2]);
        let g = grade_text(
            &q,
            "三次握手之後雙方確認了序列號，還可以避免歷史連接被誤建立，這就是原因所在。",
            10,
        );
        assert_eq!(g.covered, vec![0, 1, 2]);
    }

    #[test]
    fn choices_are_read_from_letters() {
        let mut q = question();
        q.choices = vec!["a".into(), "b".into(), "c".into()];
        q.correct = vec![0, 2];
        assert_eq!(parse_choice(&q, "c, A"), Some(vec![0, 2]));
        assert_eq!(parse_choice(&q, "ＡＣ"), Some(vec![0, 2]));
        assert_eq!(parse_choice(&q, "选项 B"), Some(vec![1]));
        assert_eq!(parse_choice(&q, "D"), None);
        assert_eq!(parse_choice(&q, "I think A"), None);
        assert_eq!(grade_choice(&q, &[0, 2]).score, 100);
        assert_eq!(grade_choice(&q, &[0]).score, 0);
    }
}
