//! Negation scopes: which bytes of an analysed answer sit inside a denial, so that a key phrase there covers
//! nothing ("不需要加锁" does not say "需要加锁"; "UDP has no handshake" does not describe a handshake).
//!
//! Three kinds of scope, all deterministic:
//! - A negation word (`不`, `没有`, `无需`, `并非`, `not`, `never`, `without` …) denies what follows it in its
//!   clause, up to a short window, or until a word that starts a new statement (`而是`, `但`, `所以`, `会`,
//!   `but`, `because` …). `不同`, `不断`, `不仅` and the like are not negations.
//! - A myth marker (`误以为`, `常见误区`, `myth` …) denies the rest of its clause.
//! - A verdict clause (`这是错的`, `这种说法不对`, `this is wrong`) denies the clause before it; one that ends in a
//!   colon (`以下说法都是错的：`) denies everything after it, until a clause that sets things right (`其实`,
//!   `实际上`, `actually` …).

use std::sync::OnceLock;

use super::normalize::{Analyzed, Break, CharSet, find_phrase, normalize, whole_at};

/// Negation words.
const NEGATIONS: &[&str] = &[
    "不", "没", "无需", "无须", "无法", "并非", "而非", "绝非", "并无", "毫无", "从未", "并未",
    "尚未", "别", "勿", "not", "no", "never", "without", "neither", "nor",
];

/// Words that contain a negation word but deny nothing.
const NOT_NEGATIONS: &[&str] = &[
    "不同",
    "不断",
    "不仅",
    "不但",
    "不管",
    "不论",
    "不少",
    "不过",
    "不止",
    "不久",
    "不停",
    "不足",
    "不一样",
    "不得不",
    "不可避免",
    "不外乎",
    "不妨",
    "不如",
    "不然",
    "差不多",
    "没错",
    "别的",
    "别名",
    "区别",
    "类别",
    "级别",
    "分别",
    "识别",
    "特别",
    "个别",
    "告别",
    "别人",
    "有没有",
    "是不是",
    "能不能",
    "会不会",
    "要不要",
    "对不对",
    "用不用",
    "可不可以",
    "需不需要",
    "not only",
    "not just",
    "no matter",
];

/// Established terms that start with a negation word: the negation covers the term itself ("可重复读" is not
/// stated by "不可重复读"), not the words after it.
const NEGATED_TERMS: &[&str] = &[
    "不可变",
    "不可重复读",
    "不可达",
    "不可中断",
    "不可重入",
    "不一致",
    "不安全",
    "不可靠",
    "不阻塞",
    "非阻塞",
    "无状态",
    "无连接",
    "无锁",
    "不透明",
    "不确定",
    "没命中",
    "未命中",
    "未提交",
    "不可哈希",
    "non-blocking",
    "nonblocking",
    "no-cache",
    "no-store",
    "no-transform",
    "no-referrer",
    "no-op",
];

/// Words that begin a new statement and so end a negation's scope.
const SCOPE_ENDS: &[&str] = &[
    "而是",
    "而",
    "但",
    "却",
    "只是",
    "所以",
    "因此",
    "因为",
    "由于",
    "就",
    "时会",
    "的时候",
    "的话",
    "导致",
    "否则",
    "反而",
    "那么",
    "but",
    "instead",
    "rather",
    "because",
    "since",
    "so",
    "which",
    "while",
    "whereas",
    "though",
    "although",
    "however",
    "until",
    "unless",
    "then",
    "otherwise",
    "when",
    "if",
];

/// Judgements that deny what comes before them in the clause ("加随机值没有意义", "跟宕机没什么关系",
/// "限流对雪崩不起作用", "this has nothing to do with …").
const DENY_BEFORE: &[&str] = &[
    "没有意义",
    "没意义",
    "没什么意义",
    "没什么关系",
    "没有关系",
    "没关系",
    "毫无关系",
    "无关",
    "不起作用",
    "没有作用",
    "没有用",
    "没用",
    "没什么用",
    "不管用",
    "是多余的",
    "多此一举",
    "没有必要",
    "没必要",
    "is useless",
    "is pointless",
    "is irrelevant",
    "does not help",
    "does not matter",
    "has nothing to do with",
    "makes no difference",
];

/// Markers that what follows in the clause is a myth or a mistake.
const MYTH_MARKERS: &[&str] = &[
    "误以为",
    "误认为",
    "错误地认为",
    "错误认为",
    "常见误区",
    "误区是",
    "误区",
    "误解是",
    "谣言",
    "以讹传讹",
    "人以为",
    "人认为",
    "有人说",
    "常听说",
    "myth",
    "people think",
    "people believe",
    "commonly believed",
    "misconception",
    "wrongly",
];

/// Clauses that judge the statement before them (or the list after a colon) to be wrong.
const WRONG_VERDICTS: &[&str] = &[
    "是错的",
    "是错误的",
    "错了",
    "不对",
    "不正确",
    "是误区",
    "是误解",
    "是谣言",
    "都是错",
    "说法错误",
    "is wrong",
    "are wrong",
    "was wrong",
    "all wrong",
    "is incorrect",
    "are incorrect",
    "is false",
    "are false",
    "not true",
    "a myth",
];

/// Clauses that set things right after a list of wrong statements.
const CORRECTIONS: &[&str] = &[
    "其实",
    "实际上",
    "事实上",
    "正确的是",
    "正确说法",
    "真相是",
    "actually",
    "in fact",
    "correct",
];

/// The window of a negation word, in units (a Chinese character 1, an English word 2).
const WINDOW: f32 = 14.0;

/// A verdict clause is short: at most this many units besides the verdict itself.
const VERDICT_CLAUSE: f32 = 8.0;

/// Normalised words, with the set of their first characters so most positions are ruled out at once, and
/// one automaton to find any of them in a text in a single pass.
struct Words {
    words: Vec<String>,
    firsts: Vec<char>,
    /// For each of `firsts`, the indices of the words that start with it.
    starting: Vec<Vec<usize>>,
    automaton: aho_corasick::AhoCorasick,
}

impl Words {
    fn new(words: &[&str]) -> Words {
        let words: Vec<String> = words.iter().map(|w| normalize(w).text).collect();
        let mut firsts: Vec<char> = words.iter().filter_map(|w| w.chars().next()).collect();
        firsts.sort_unstable();
        firsts.dedup();
        let automaton = aho_corasick::AhoCorasick::new(&words).expect("a small word list");
        let starting = firsts
            .iter()
            .map(|&f| {
                (0..words.len())
                    .filter(|&i| words[i].starts_with(f))
                    .collect()
            })
            .collect();
        Words {
            words,
            firsts,
            starting,
            automaton,
        }
    }

    /// The first of the words (in list order) that occurs in `text`, English words only as whole words
    /// (what [`find_phrase`] finds, for all the words in one pass).
    fn first_in(&self, text: &str) -> Option<&str> {
        self.automaton
            .find_overlapping_iter(text)
            .filter(|m| whole_at(text, m.start(), &self.words[m.pattern().as_usize()]))
            .map(|m| m.pattern().as_usize())
            .min()
            .map(|i| self.words[i].as_str())
    }
}

impl std::ops::Deref for Words {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.words
    }
}

struct Lexicon {
    /// First characters of every word that starts a scope (deny-before, myth, negated term, negation).
    cue_firsts: CharSet,
    deny_before: Words,
    /// (negation word, exception, offset of the word in the exception) for every exception.
    alignments: Vec<(String, String, usize)>,
    negated_terms: Words,
    negations: Words,
    scope_ends: Words,
    myths: Words,
    verdicts: Words,
    corrections: Words,
}

fn lexicon() -> &'static Lexicon {
    static L: OnceLock<Lexicon> = OnceLock::new();
    L.get_or_init(|| {
        let n = Words::new;
        let negations = n(NEGATIONS);
        let not_negations = n(NOT_NEGATIONS);
        let alignments = negations
            .iter()
            .flat_map(|cue| {
                not_negations.iter().flat_map(move |w| {
                    find_phrase(w, cue).map(move |k| (cue.clone(), w.clone(), k))
                })
            })
            .collect();
        let deny_before = n(DENY_BEFORE);
        let myths = n(MYTH_MARKERS);
        let negated_terms = n(NEGATED_TERMS);
        let cue_firsts = CharSet::new(
            [&deny_before, &myths, &negated_terms, &negations]
                .iter()
                .flat_map(|w| w.firsts.iter().copied()),
        );
        Lexicon {
            cue_firsts,
            deny_before,
            alignments,
            negated_terms,
            negations,
            scope_ends: n(SCOPE_ENDS),
            myths,
            verdicts: n(WRONG_VERDICTS),
            corrections: n(CORRECTIONS),
        }
    })
}

/// The weight of a character in the window: English letters count a third (a word of about six letters is
/// two units), everything else one.
fn units(c: char) -> f32 {
    match c {
        ' ' => 0.0,
        c if c.is_ascii_alphanumeric() => 0.34,
        _ => 1.0,
    }
}

/// Units of a piece of normalised text.
pub fn units_of(text: &str) -> f32 {
    text.chars().map(units).sum()
}

/// The length of the longest of `words` that starts at `pos` (English words only as whole words).
fn any_at(text: &str, pos: usize, words: &Words) -> Option<usize> {
    let first = text[pos..].chars().next()?;
    let slot = words.firsts.binary_search(&first).ok()?;
    let is_word = |c: char| c.is_ascii_alphanumeric();
    let before = text[..pos].chars().next_back();
    words.starting[slot]
        .iter()
        .map(|&i| &words.words[i])
        .filter(|w| {
            text[pos..].starts_with(w.as_str())
                && !(w.starts_with(is_word) && before.is_some_and(is_word))
                && !(w.ends_with(is_word) && text[pos + w.len()..].starts_with(is_word))
        })
        .map(String::len)
        .max()
}

/// Whether a negation word found at `pos` is part of a word that denies nothing.
fn is_false_negation(text: &str, pos: usize, cue: &str) -> bool {
    // The exception may start before the cue (`差不多`): every alignment of a cue inside an exception is known.
    lexicon().alignments.iter().any(|(c, w, k)| {
        c == cue
            && pos >= *k
            && text.is_char_boundary(pos - k)
            && text[pos - k..].starts_with(w.as_str())
    })
}

/// Whether `pos` is inside an English word (an ASCII letter or digit right after another one), where no word
/// can start.
fn inside_word(text: &str, pos: usize) -> bool {
    let b = text.as_bytes();
    b.get(pos).is_some_and(u8::is_ascii_alphanumeric)
        && pos
            .checked_sub(1)
            .and_then(|p| b.get(p))
            .is_some_and(u8::is_ascii_alphanumeric)
}

/// What a byte of an answer is, for the grader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Said outright.
    Stated,
    /// Denied by a negation word ("不需要超时重传"): the answer says the opposite.
    Denied,
    /// Set aside: called a myth, judged wrong or useless, or the tail of a negated term (`不可重复读`). It
    /// neither states nor denies.
    SetAside,
}

/// Marks `scope[pos..]` as `kind` until the clause ends, a statement-starting word comes, or the window is
/// spent (a stronger mark already there stays).
/// A denial reaches only to the end of its list segment (`不让删、DO_NOTHING 什么都不做` does not deny
/// `DO_NOTHING`); past it, it still sets the rest aside.
fn mark_scope(
    text: &str,
    from: usize,
    (end, segment_end): (usize, usize),
    scope: &mut [Scope],
    kind: Scope,
) {
    let bounded = kind == Scope::Denied;
    let lex = lexicon();
    let mut spent = 0.0;
    let mut pos = from;
    while pos < end {
        let c = text[pos..]
            .chars()
            .next()
            .expect("pos < end is a char boundary");
        let mid_word = inside_word(text, pos);
        if bounded && !mid_word && any_at(text, pos, &lex.scope_ends).is_some() {
            break;
        }
        spent += units(c);
        if bounded && spent > WINDOW {
            break;
        }
        let here = if kind == Scope::Denied && pos >= segment_end {
            Scope::SetAside
        } else {
            kind
        };
        mark(&mut scope[pos..pos + c.len_utf8()], here);
        pos += c.len_utf8();
    }
}

fn mark(bytes: &mut [Scope], kind: Scope) {
    bytes.iter_mut().for_each(|b| *b = (*b).max(kind));
}

/// Whether a normalised text holds a negation word or a word that sets things aside (a phrase that does is
/// never read as denied).
pub fn holds_negation(text: &str) -> bool {
    let lex = lexicon();
    [
        &lex.negations,
        &lex.deny_before,
        &lex.myths,
        &lex.negated_terms,
    ]
    .iter()
    .any(|words| words.first_in(text).is_some())
}

/// The longest list item in a question that starts with a negation word (a label such as `不丢`) and is
/// read as a term: at most this many units.
const LABEL_UNITS: f32 = 6.0;

/// Terms of a question that start with a negation word (`不丢、不重复、不打扰`; `为什么不用多线程`): in an
/// answer they name what the question asks about, and deny nothing after them. Each runs from the negation
/// word to the end of its list item in the question, and is short.
pub fn question_labels(question: &Analyzed) -> Vec<String> {
    let lex = lexicon();
    let text = question.text.as_str();
    let mut labels = Vec::new();
    for &(start, end) in &question.segments {
        let mut pos = start;
        while pos < end {
            let c = text[pos..].chars().next().expect("a char boundary");
            if !inside_word(text, pos)
                && lex.cue_firsts.contains(c)
                && let Some(len) = any_at(text, pos, &lex.negations)
                && !is_false_negation(text, pos, &text[pos..pos + len])
            {
                let label = &text[pos..end];
                if label.len() > len && units_of(label) <= LABEL_UNITS {
                    labels.push(label.to_string());
                }
                break;
            }
            pos += c.len_utf8();
        }
    }
    labels.sort_unstable();
    labels.dedup();
    labels
}

/// For every byte of `a.text`, whether it is stated, denied or set aside. `labels` are the question's own
/// terms that start with a negation word ([`question_labels`]): like a negated term, each sets aside only
/// itself.
pub fn scopes(a: &Analyzed, labels: &[String]) -> Vec<Scope> {
    let lex = lexicon();
    let text = a.text.as_str();
    let mut negated = vec![Scope::Stated; text.len()];
    let mut verdict_of = vec![false; a.clauses.len()];
    for (ci, cl) in a.clauses.iter().enumerate() {
        let mut pos = cl.start;
        while pos < cl.end {
            let c = text[pos..]
                .chars()
                .next()
                .expect("pos < end is a char boundary");
            // Inside an English word no word starts; elsewhere only a cue's first character can start one.
            let mid_word = inside_word(text, pos);
            if mid_word || !lex.cue_firsts.contains(c) {
                pos += c.len_utf8();
                continue;
            }
            if let Some(len) = any_at(text, pos, &lex.deny_before) {
                mark(&mut negated[cl.start..pos], Scope::SetAside);
                pos += len;
                continue;
            }
            if let Some(len) = any_at(text, pos, &lex.myths) {
                mark_scope(
                    text,
                    pos + len,
                    (cl.end, cl.end),
                    &mut negated,
                    Scope::SetAside,
                );
                pos += len;
                continue;
            }
            let label = labels
                .iter()
                .filter(|l| text[pos..].starts_with(l.as_str()))
                .map(String::len)
                .max();
            if let Some(len) = label.or_else(|| any_at(text, pos, &lex.negated_terms)) {
                // Only the rest of the term is denied.
                let cue = text[pos..].chars().next().map_or(1, char::len_utf8);
                mark(&mut negated[pos + cue..pos + len], Scope::SetAside);
                pos += len;
                continue;
            }
            if let Some(len) = any_at(text, pos, &lex.negations)
                && !is_false_negation(text, pos, &text[pos..pos + len])
            {
                let segment = a.segments.partition_point(|&(_, e)| e <= pos);
                let segment_end = a.segments.get(segment).map_or(cl.end, |&(_, e)| e);
                mark_scope(
                    text,
                    pos + len,
                    (cl.end, segment_end),
                    &mut negated,
                    Scope::Denied,
                );
                pos += len;
                continue;
            }
            pos += text[pos..].chars().next().map_or(1, char::len_utf8);
        }
        let clause = &text[cl.start..cl.end];
        // A verdict clause is short: longer ones are not searched.
        let units = units_of(clause);
        if units <= VERDICT_CLAUSE + 6.0
            && let Some(v) = lex.verdicts.first_in(clause)
        {
            verdict_of[ci] = units - units_of(v) <= VERDICT_CLAUSE;
        }
    }
    // Verdict clauses: the one before is denied; after a colon, all that follows until a correction.
    let mut denying_list = false;
    for (ci, cl) in a.clauses.iter().enumerate() {
        let clause = &text[cl.start..cl.end];
        if denying_list {
            if lex.corrections.first_in(clause).is_some() {
                denying_list = false;
            } else {
                mark(&mut negated[cl.start..cl.end], Scope::SetAside);
                continue;
            }
        }
        if verdict_of[ci] {
            if cl.ended_by == Break::Colon {
                denying_list = true;
            } else if ci > 0 {
                let prev = a.clauses[ci - 1];
                mark(&mut negated[prev.start..prev.end], Scope::SetAside);
            }
        }
    }
    negated
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grading::normalize::analyze;

    /// The parts of the text that are denied or set aside, joined by `|`.
    fn denied(input: &str) -> String {
        let a = analyze(input);
        let neg = scopes(&a, &[]);
        let mut out = String::new();
        let mut inside = false;
        for (i, c) in a.text.char_indices() {
            if neg[i] != Scope::Stated {
                if !inside && !out.is_empty() {
                    out.push('|');
                }
                out.push(c);
                inside = true;
            } else {
                inside = false;
            }
        }
        out
    }

    /// The kind of scope the first occurrence of `word` is in.
    fn scope_of(input: &str, word: &str) -> Scope {
        let a = analyze(input);
        scopes(&a, &[])[a.text.find(word).expect("the word is in the text")]
    }

    #[test]
    fn a_denial_differs_from_a_myth_or_a_negated_term() {
        assert_eq!(scope_of("TCP 并不需要超时重传", "超时重传"), Scope::Denied);
        assert_eq!(scope_of("TCP 需要超时重传", "超时重传"), Scope::Stated);
        assert_eq!(
            scope_of("常见误区是 POST 会发两个包", "两个包"),
            Scope::SetAside
        );
        assert_eq!(scope_of("不可重复读是指", "可重复读"), Scope::SetAside);
        assert_eq!(scope_of("加随机值没有意义", "随机值"), Scope::SetAside);
        assert_eq!(
            scope_of("non-blocking calls return at once", "block"),
            Scope::SetAside
        );
    }

    #[test]
    fn a_negation_word_denies_the_rest_of_its_clause() {
        assert_eq!(denied("不是三次握手，也不需要 SYN"), "是三次握手|需要syn");
        assert_eq!(denied("a knot in the rope"), "");
        assert_eq!(denied("CPU 密集型任务不需要加锁"), "需要加锁");
        assert_eq!(denied("UDP has no handshake, TCP has one"), " handshak");
    }

    #[test]
    fn a_negated_term_denies_only_itself() {
        assert_eq!(denied("元组是不可变对象，所以可以做字典的键"), "可变");
        assert_eq!(denied("解决了不可重复读"), "可重复读");
    }

    #[test]
    fn words_that_only_look_negative_deny_nothing() {
        assert_eq!(denied("不同的隔离级别，不断重试，不仅快，差不多"), "");
        assert_eq!(denied("the GIL is not only a lock"), "");
    }

    #[test]
    fn a_new_statement_ends_the_scope() {
        assert_eq!(denied("DNS 不在会话层而在应用层"), "在会话层");
        assert_eq!(denied("不加锁会导致数据竞争"), "加锁会");
        assert_eq!(denied("it is not slow because of the GIL"), " slow ");
    }

    #[test]
    fn a_judgement_of_uselessness_denies_what_comes_before_it() {
        assert_eq!(
            denied("给过期时间加随机值没有意义，应该统一 TTL"),
            "给过期时间加随机值"
        );
        assert_eq!(denied("it has nothing to do with the GIL"), "it ");
    }

    #[test]
    fn the_window_is_short() {
        let d = denied("不需要在这一个非常长非常长非常长非常长的从句里面一直到最后的三次握手");
        assert!(!d.contains("三次握手"), "{d}");
    }

    #[test]
    fn myths_and_verdicts_deny_the_statement_they_judge() {
        assert_eq!(denied("常见误区是 POST 会发两个包"), "是post会发两个包");
        assert_eq!(
            denied("很多人以为 POST 比 GET 安全，其实一样"),
            "post比get安全"
        );
        assert_eq!(
            denied("Many people think POST is safe, it is not").trim(),
            "post is saf"
        );
        assert_eq!(
            denied("DNS 在会话层，这是错的。DNS 在应用层"),
            "dns在会话层"
        );
        assert_eq!(
            denied("以下说法都是错的：三次握手，序列号。其实就是这样"),
            "三次握手序列号"
        );
        assert_eq!(
            denied("This claim is wrong: POST sends two packets"),
            "post send two packet"
        );
        // `False` as a value judges nothing.
        assert_eq!(
            denied("atomic(savepoint=False) opens no savepoint"),
            " savepoint"
        );
        assert_eq!(denied("用 atomic 包起来，savepoint=False"), "");
    }

    #[test]
    fn header_values_that_start_with_no_deny_nothing_after_them() {
        assert_eq!(
            scope_of("no-cache 表示每次使用缓存前都要向服务器验证", "验证"),
            Scope::Stated
        );
        assert_eq!(
            scope_of("Cache-Control: no-store 禁止缓存", "禁止缓存"),
            Scope::Stated
        );
        // The normaliser cannot tell `no-cache` from `no cache`: other words after `no` are still denied.
        assert_eq!(scope_of("no data is kept", "kept"), Scope::Denied);
    }

    #[test]
    fn a_questions_own_negated_labels_deny_nothing() {
        let question = analyze("通知系统怎么做到不丢、不重复、不打扰？");
        let labels = question_labels(&question);
        assert_eq!(labels, ["不丢", "不打扰", "不重复"]);
        let answer = analyze("不丢靠持久化和重试，不重复靠幂等键去重");
        let scope = scopes(&answer, &labels);
        let at = |w: &str| scope[answer.text.find(w).unwrap()];
        assert_eq!(at("持久化"), Scope::Stated);
        assert_eq!(at("幂等"), Scope::Stated);
        // Without the question's labels, the same words deny what follows them.
        let scope = scopes(&answer, &[]);
        assert_eq!(scope[answer.text.find("持久化").unwrap()], Scope::Denied);
        // A long negated clause of a question is not a label.
        assert!(question_labels(&analyze("为什么 TCP 不能用两次握手建立连接？")).is_empty());
    }
}
