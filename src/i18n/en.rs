//! English texts.

use super::{Msg, QuestionView, ResultLine, VerdictView, one_decimal};
use crate::command::{CommandName, Period, Problem, Rating};
use crate::vocab::Cap;
use std::fmt::Write;

pub(super) fn rating_label(rating: Rating) -> &'static str {
    match rating {
        Rating::Again => "Again",
        Rating::Hard => "Hard",
        Rating::Good => "Good",
        Rating::Easy => "Easy",
    }
}

const START_ON: &str = "Daily posts are on: questions and reveals arrive on time.";

pub(super) fn console_label(private_to: Option<&str>) -> String {
    match private_to {
        None => "[chat] drillbot:".to_string(),
        Some(name) => format!("[only {name} sees] drillbot:"),
    }
}

fn difficulty(d: u8) -> &'static str {
    match d {
        1 => "easy",
        2 => "medium",
        _ => "hard",
    }
}

fn question_block(q: &QuestionView) -> String {
    let mut s = format!(
        "Question #{} · {} · {}\n\n{}",
        q.number,
        q.topic,
        difficulty(q.difficulty),
        q.question
    );
    for (i, c) in q.choices.iter().enumerate() {
        let _ = write!(s, "\n{}. {}", (b'A' + i as u8) as char, c);
    }
    s
}

pub(super) fn command_summary(name: CommandName) -> &'static str {
    match name {
        CommandName::Today => "Today's question",
        CommandName::Answer => "Answer (sealed until the reveal)",
        CommandName::Reveal => "See the answer now / admin reveal",
        CommandName::Rate => "Rate yourself after the reveal",
        CommandName::Leaderboard => "Leaderboard",
        CommandName::Stats => "Personal statistics",
        CommandName::Topics => "Topics of the bank",
        CommandName::Help => "Help",
        CommandName::Settings => "Chat settings",
        CommandName::Skip => "Replace today's question (admin)",
    }
}

fn usage(name: CommandName) -> &'static str {
    match name {
        CommandName::Today => "/today: show today's question",
        CommandName::Answer => {
            "/answer <your answer>: a sealed answer (hidden until the reveal; answer again to replace it)"
        }
        CommandName::Reveal => {
            "/reveal: see the model answer yourself now (later answers score nothing); an admin in a group reveals it for everyone"
        }
        CommandName::Rate => {
            "/rate again|hard|good|easy: rate yourself after the reveal, for your reviews"
        }
        CommandName::Leaderboard => {
            "/leaderboard [week|month|all]: the leaderboard (this week by default)"
        }
        CommandName::Stats => "/stats [name]: personal statistics",
        CommandName::Topics => "/topics: the bank's topics",
        CommandName::Help => "/help: this help",
        CommandName::Settings => {
            "/settings [post HH:MM | reveal HH:MM | tz Area/City | days mon-fri|all | topics a,b|all | difficulty 1-3 | lang zh|en | answers show|hide | on | off]"
        }
        CommandName::Skip => "/skip: an admin replaces today's question",
    }
}

fn problem(p: &Problem) -> String {
    match p {
        Problem::Missing => "An argument is missing.".into(),
        Problem::Unexpected(x) => format!("Unexpected argument: {x}"),
        Problem::BadTime(x) => {
            format!("\"{x}\" is not a time of day; use 24-hour HH:MM, e.g. 09:00.")
        }
        Problem::BadTimeZone(x) => format!(
            "\"{x}\" is not an IANA time zone; examples: Asia/Shanghai, Europe/Berlin, America/New_York."
        ),
        Problem::BadDifficulty(x) => {
            format!("\"{x}\" is not a difficulty; difficulties go from 1 to 3, e.g. 2 or 1-3.")
        }
        Problem::BadLanguage(x) => format!("Language \"{x}\" is not supported; choose zh or en."),
        Problem::BadRating(x) => {
            format!("\"{x}\" is not a rating; choose again, hard, good or easy.")
        }
        Problem::BadPeriod(x) => format!("\"{x}\" is not a period; choose week, month or all."),
        Problem::UnknownSetting(x) => format!("There is no setting called \"{x}\"."),
        Problem::BadToggle(x) => format!("\"{x}\" is not valid; choose show or hide."),
        Problem::BadDays(x) => {
            format!("\"{x}\" is not a set of days; examples: all, weekdays, mon-fri, mon,wed,fri.")
        }
        Problem::BadChannel(x) => {
            format!("“{x}” is not a channel: choose one with /settings channel.")
        }
        Problem::BadTopic(x) => {
            format!(
                "“{x}” is not a topic: send /settings here in the forum topic to post in, or /settings here general for General."
            )
        }
    }
}

fn verdict(v: VerdictView) -> &'static str {
    match v {
        VerdictView::Graded => "",
        VerdictView::TooShort => " (too short, no credit)",
        VerdictView::CopiedModel => " (copies the model answer, no credit)",
        VerdictView::OffTopic => " (reads as an answer to a different question, no credit)",
        VerdictView::CopiedMember => " (same as an earlier member's answer, no credit)",
        VerdictView::AfterPeek => " (answered after looking, no credit)",
        VerdictView::ChoiceRight => " (right)",
        VerdictView::ChoiceWrong => " (wrong)",
    }
}

fn result_line(s: &mut String, r: &ResultLine) {
    let _ = write!(
        s,
        "\n• {}: {} / 100, +{} points{}",
        r.name,
        r.score,
        r.points,
        verdict(r.verdict)
    );
    match r.cap {
        Some(Cap::Short(max)) => {
            let _ = write!(s, " (too little explanation: at most {max})");
        }
        Some(Cap::Contradicted(max)) => {
            let _ = write!(
                s,
                " (several statements contradict the key points: at most {max})"
            );
        }
        Some(Cap::TermList(max)) => {
            let _ = write!(s, " (a bare list of terms: at most {max})");
        }
        None => {}
    }
    if !r.covered.is_empty() {
        let _ = write!(s, "\n  ✓ {}", r.covered.join("; "));
    }
    if !r.missed.is_empty() {
        let _ = write!(s, "\n  ✗ {}", r.missed.join("; "));
    }
    for c in &r.contradicted {
        let (said, point) = (&c.said, &c.point);
        if c.denied {
            let _ = write!(s, "\n  ⚠ denied “{said}”, but: {point}");
        } else {
            let _ = write!(s, "\n  ⚠ said “{said}”, but: {point}");
        }
    }
    if let Some(a) = &r.answer {
        let _ = write!(s, "\n  Answer: {a}");
    }
}

fn board_line(s: &mut String, l: &super::BoardLine) {
    let me = if l.is_caller { " ← you" } else { "" };
    let _ = write!(
        s,
        "\n{}. {}: {} points ({} answers){me}",
        l.rank, l.name, l.points, l.answers
    );
}

fn letters(c: &[char]) -> String {
    c.iter().collect()
}

pub(super) fn render(msg: &Msg) -> String {
    match msg {
        Msg::Welcome {
            private,
            post_time,
            reveal_time,
            timezone,
            scheduled,
        } => {
            let start = if *scheduled {
                START_ON
            } else if *private {
                "Add me to a group to practise together; here you can check your own /stats."
            } else {
                "An admin starts the daily posts with /settings on (on Discord, first choose the channel with /settings channel)."
            };
            format!(
                "Hi, I'm drillbot: one back-end interview question a day (networking, HTTP, OS, concurrency, Python, SQL/MySQL, Redis, message queues, web frameworks, security, distributed systems, architecture).\n\
                 Answer with /answer; answers stay sealed until the reveal, are graded on key points and count towards points, streaks and the leaderboard.\n\
                 Defaults: question at {post_time}, reveal at {reveal_time}, time zone {timezone}, all topics, Chinese interface; admins change them with /settings.\n\
                 {start}\nSend /help for every command."
            )
        }
        Msg::QuestionPost {
            question,
            reveal_at,
        } => {
            let how = if question.choices.is_empty() {
                "Answer with /answer <your answer>"
            } else if question.several {
                "Several choices are right: answer with all their letters, e.g. /answer AC"
            } else {
                "Answer with /answer <letter>, e.g. /answer B"
            };
            format!(
                "📝 Question of the day\n{}\n\n{how}; answers stay sealed until the reveal at {reveal_at}.",
                question_block(question)
            )
        }
        Msg::AnswerRecorded {
            replaced,
            reveal_at,
            after_peek,
        } => {
            let what = if *replaced {
                "Your answer was updated (it replaces the earlier one)"
            } else {
                "Your answer is recorded"
            };
            if *after_peek {
                format!("{what}. You have seen the model answer, so it is kept but scores nothing.")
            } else {
                format!(
                    "{what} and sealed. Your score and key points will be shown at the reveal at {reveal_at}."
                )
            }
        }
        Msg::NoOpenRound => "There is no open question right now. Use /today to see today's.".into(),
        Msg::AnswerTooLong { max, len } => format!(
            "Your answer is too long ({len} characters; the limit is {max}). Please shorten it; nothing was saved."
        ),
        Msg::BadChoice { last } => format!(
            "This is a multiple-choice question: answer with letters, e.g. /answer B or /answer AC (choices A to {last}). Nothing was saved."
        ),
        Msg::PersonalReveal {
            question,
            answer,
            correct,
            points,
            round_open,
        } => {
            let mut s = format!("👀 Only you can see this\n{}\n\n", question_block(question));
            if !correct.is_empty() {
                let _ = writeln!(s, "Correct: {}\n", letters(correct));
            }
            s.push_str(answer.trim());
            if !points.is_empty() {
                s.push_str("\n\nKey points:");
                for p in points {
                    let _ = write!(s, "\n• {p}");
                }
            }
            if *round_open {
                s.push_str("\n\nYou have seen the answer: anything you submit now is kept but scores nothing.");
            }
            s.push_str("\nRate yourself with /rate again|hard|good|easy.");
            s
        }
        Msg::Reveal(r) => {
            let mut s = format!("✅ Reveal\n{}\n\n", question_block(&r.question));
            if !r.correct.is_empty() {
                let _ = writeln!(s, "Correct: {}\n", letters(&r.correct));
            }
            s.push_str(r.answer.trim());
            if !r.points.is_empty() {
                s.push_str("\n\nKey points:");
                for (i, p) in r.points.iter().enumerate() {
                    let _ = write!(s, "\n{}. {p}", i + 1);
                }
            }
            if r.results.is_empty() {
                s.push_str("\n\nNobody answered this round.");
            } else {
                let _ = write!(s, "\n\nResults ({} answered):", r.results.len());
                for line in &r.results {
                    result_line(&mut s, line);
                }
            }
            if !r.peeked_only.is_empty() {
                let _ = write!(s, "\nLooked early: {}", r.peeked_only.join(", "));
            }
            s.push_str("\n\nHow well did you know it? Use the buttons or /rate again|hard|good|easy.");
            s
        }
        Msg::NotAdmin => "Only chat admins can do that.".into(),
        Msg::Settings { view, changed } => {
            let head = if *changed { "Settings updated:" } else { "Settings:" };
            let topics = if view.topics.is_empty() {
                "all".to_string()
            } else {
                view.topics.join(", ")
            };
            let channel = view
                .channel
                .as_ref()
                .map(|c| {
                    let threads = if view.threads { "on" } else { "off (/settings threads on)" };
                    format!("\n• Channel: {c}\n• Discussion thread after the reveal: {threads}")
                })
                .unwrap_or_default();
            let channel = match view.forum_topic {
                Some(t) => format!("{channel}\n• Posted in topic #{t} (/settings here general for General)"),
                None => channel,
            };
            format!(
                "{head}{channel}\n• Daily posts: {}\n• Days: {}\n• Question at: {}\n• Reveal at: {}\n• Time zone: {}\n• Topics: {topics}\n• Difficulty: {}-{}\n• Language: {}\n• Show answers at the reveal: {}\nExamples: /settings post 08:30, /settings tz Europe/Berlin, /settings topics network,redis",
                if view.scheduled { "on" } else { "off (/settings on starts them)" },
                if view.post_days == "all" { "every day".to_string() } else { view.post_days.clone() },
                view.post_time,
                view.reveal_time,
                view.timezone,
                view.difficulty.0,
                view.difficulty.1,
                if view.lang == super::Lang::Zh { "中文 (zh)" } else { "English (en)" },
                if view.show_answers { "yes" } else { "no" },
            )
        }
        Msg::UnknownTopics { unknown, known } => format!(
            "Unknown topics: {}. Choose from: {} (or all).",
            unknown.join(", "),
            known.join(", ")
        ),
        Msg::NoQuestions => {
            "No question in the bank matches this chat's topics and difficulty. Widen them with /settings topics or /settings difficulty.".into()
        }
        Msg::SameTimes => "The question and reveal times must differ.".into(),
        Msg::ChannelsOnlyOnDiscord => {
            "Channel and thread settings are for Discord servers; here questions are posted in this chat.".into()
        }
        Msg::ChoiceFinal { chosen } => format!(
            "You already chose {chosen}: a multiple-choice question takes one answer per member."
        ),
        Msg::TopicsOnlyOnTelegram => {
            "/settings here is for Telegram groups with topics: send it in a topic and the daily question is posted there.".into()
        }
        Msg::ChannelFirst => {
            "First choose the channel for the daily question with /settings channel; that starts the schedule.".into()
        }
        Msg::ChatPaused { reason } => format!(
            "⚠️ Daily posts are paused: the platform refused the bot's messages ({reason}). Check the bot's permissions in the channel, then start again with /settings channel or /settings on."
        ),
        Msg::NothingToSkip => "There is no open question today to skip.".into(),
        Msg::Skipped { number } => {
            format!("An admin skipped question #{number}; here is a new one.")
        }
        Msg::RateTooEarly => {
            "You can rate yourself once you have seen the answer: wait for the reveal, or use /reveal to look now.".into()
        }
        Msg::Rated { rating } => format!("Rating saved: {}.", rating_label(*rating)),
        Msg::Leaderboard(b) => {
            let title = match b.period {
                Period::Week => "This week",
                Period::Month => "This month",
                Period::All => "All time",
            };
            let mut s = format!("🏆 Leaderboard: {title}");
            if b.top.is_empty() {
                s.push_str("\nNo scores yet: answer a question and they appear after the reveal.");
            }
            for l in &b.top {
                board_line(&mut s, l);
            }
            if let Some(l) = &b.caller {
                s.push_str("\n…");
                board_line(&mut s, l);
            }
            s
        }
        Msg::Stats(st) => {
            let mut s = format!(
                "📊 Statistics for {}\n• Answered: {}\n• Average score: {}\n• Points: {}\n• Streak: {} rounds (best {})",
                st.name,
                st.answered,
                one_decimal(st.average),
                st.points,
                st.current_streak,
                st.best_streak
            );
            if !st.topics.is_empty() {
                s.push_str("\nBy topic:");
                for t in &st.topics {
                    let _ = write!(
                        s,
                        "\n• {}: {} answered, average {}",
                        t.topic,
                        t.answered,
                        one_decimal(t.average)
                    );
                }
            }
            s
        }
        Msg::UnknownUser(name) => format!("Nobody called \"{name}\" has answered in this chat."),
        Msg::NoStatsYet(name) => format!("{name} has no revealed answers yet."),
        Msg::Topics(lines) => {
            let mut s = "📚 Topics (filter with /settings topics):".to_string();
            for l in lines {
                let mark = if l.selected { "✓" } else { " " };
                let _ = write!(s, "\n{mark} {}: {} ({} questions)", l.key, l.name, l.questions);
            }
            s
        }
        Msg::Help { admin } => {
            let mut s = "drillbot commands:".to_string();
            for name in CommandName::ALL {
                if matches!(name, CommandName::Settings | CommandName::Skip) && !admin {
                    continue;
                }
                let _ = write!(s, "\n{}", usage(name));
            }
            s.push_str(
                "\n\nExamples:\n/answer The three-way handshake synchronises both initial sequence numbers...\n/leaderboard month\n/stats alice",
            );
            if !admin {
                s.push_str("\n/settings shows this chat's settings (admins can change them).");
            }
            s
        }
        Msg::UnknownCommand(name) => format!("I don't know /{name}. Send /help for every command."),
        Msg::Malformed { name, problem: p } => format!("{}\nUsage: {}", problem(p), usage(*name)),
        Msg::Internal => "Sorry, something went wrong on our side and nothing was saved. Please try again.".into(),
        Msg::StorageFull { answer: true } => {
            "⚠️ Your answer was NOT saved: the bot's storage is full. Please tell an admin, and send it again once space is freed.".into()
        }
        Msg::StorageFull { answer: false } => {
            "⚠️ Nothing was saved: the bot's storage is full. Please tell an admin, and try again once space is freed.".into()
        }
        Msg::ConsoleAs { name, admin } => {
            let role = if *admin { "admin" } else { "member" };
            format!("Now speaking as {name} ({role}).")
        }
        Msg::ConsoleClock { local, timezone } => format!("🕒 It is now {local} ({timezone})"),
        Msg::ConsoleBadClock(x) => format!(
            "\"{x}\" is not valid. Usage: /clock +2h, /clock +30m, /clock +1d, or /clock 2026-12-01T09:00 (chat time zone)."
        ),
        Msg::ConsoleBadAs => "Usage: /as <name> [--member|--admin]".into(),
        Msg::ConsoleClockTooFar { max_days } => format!(
            "The clock moves at most {max_days} days at a time (every post and reveal on the way happens)."
        ),
        Msg::ConsoleNotUtf8(line) => format!("Line {line} is not UTF-8 text; it was skipped."),
        Msg::ConsoleLineTooLong { line, max } => {
            format!("Line {line} is longer than {max} bytes; it was skipped.")
        }
        Msg::ConsolePlainText => "(Tip: answer with /answer <your answer>; /help lists the commands.)".into(),
        Msg::ConsoleHelp => "Console commands: /as <name> [--member|--admin] switches member, /clock +2h|+1d|2026-12-01T09:00 moves the clock, /quit leaves.".into(),
    }
}
