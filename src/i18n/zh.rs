//! 中文文案。

use super::{Msg, QuestionView, ResultLine, VerdictView, one_decimal};
use crate::command::{CommandName, Period, Problem, Rating};
use crate::vocab::Cap;
use std::fmt::Write;

pub(super) fn rating_label(rating: Rating) -> &'static str {
    match rating {
        Rating::Again => "忘了",
        Rating::Hard => "困难",
        Rating::Good => "记得",
        Rating::Easy => "简单",
    }
}

const START_ON: &str = "每日推送已开启：到点自动出题和揭晓。";

pub(super) fn console_label(private_to: Option<&str>) -> String {
    match private_to {
        None => "【群聊】drillbot：".to_string(),
        Some(name) => format!("【仅 {name} 可见】drillbot："),
    }
}

fn difficulty(d: u8) -> &'static str {
    match d {
        1 => "简单",
        2 => "中等",
        _ => "困难",
    }
}

fn question_block(q: &QuestionView) -> String {
    let mut s = format!(
        "第 {} 题 · {} · {}\n\n{}",
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
        CommandName::Today => "今天的题目",
        CommandName::Answer => "提交答案（揭晓前保密）",
        CommandName::Reveal => "先看答案 / 管理员揭晓",
        CommandName::Rate => "揭晓后自评",
        CommandName::Leaderboard => "排行榜",
        CommandName::Stats => "个人统计",
        CommandName::Topics => "题库主题",
        CommandName::Help => "帮助",
        CommandName::Settings => "本群设置",
        CommandName::Skip => "换一道题（管理员）",
    }
}

fn usage(name: CommandName) -> &'static str {
    match name {
        CommandName::Today => "/today —— 查看今天的题目",
        CommandName::Answer => "/answer <你的答案> —— 提交答案（揭晓前保密，可重复提交覆盖）",
        CommandName::Reveal => {
            "/reveal —— 自己先看答案（之后作答不计分）；管理员在群里用它向全群揭晓"
        }
        CommandName::Rate => "/rate again|hard|good|easy —— 揭晓后给自己打分，用于复习安排",
        CommandName::Leaderboard => "/leaderboard [week|month|all] —— 排行榜（默认本周）",
        CommandName::Stats => "/stats [名字] —— 个人统计",
        CommandName::Topics => "/topics —— 题库主题",
        CommandName::Help => "/help —— 帮助",
        CommandName::Settings => {
            "/settings [post HH:MM | reveal HH:MM | tz 时区 | days mon-fri|all | topics a,b|all | difficulty 1-3 | lang zh|en | answers show|hide | on | off]"
        }
        CommandName::Skip => "/skip —— 管理员换掉今天的题",
    }
}

fn problem(p: &Problem) -> String {
    match p {
        Problem::Missing => "缺少参数。".into(),
        Problem::Unexpected(x) => format!("多余的参数：{x}"),
        Problem::BadTime(x) => format!("“{x}”不是有效时间，请用 24 小时制 HH:MM，例如 09:00。"),
        Problem::BadTimeZone(x) => {
            format!(
                "“{x}”不是有效的 IANA 时区，例如 Asia/Shanghai、Europe/Berlin、America/New_York。"
            )
        }
        Problem::BadDifficulty(x) => format!("“{x}”不是有效难度，难度为 1 到 3，例如 2 或 1-3。"),
        Problem::BadLanguage(x) => format!("不支持语言“{x}”，可选 zh 或 en。"),
        Problem::BadRating(x) => format!("“{x}”不是有效评价，可选 again、hard、good、easy。"),
        Problem::BadPeriod(x) => format!("“{x}”不是有效时段，可选 week、month、all。"),
        Problem::UnknownSetting(x) => format!("没有名为“{x}”的设置项。"),
        Problem::BadToggle(x) => format!("“{x}”无效，可选 show 或 hide。"),
        Problem::BadDays(x) => {
            format!("“{x}”不是有效的出题日，例如 all、weekdays、mon-fri、mon,wed,fri。")
        }
        Problem::BadChannel(x) => {
            format!("“{x}”不是有效的频道，请用 /settings channel 选择一个频道。")
        }
        Problem::BadTopic(x) => {
            format!(
                "“{x}”不是话题：在要发布的论坛话题里发送 /settings here，或用 /settings here general 改回 General。"
            )
        }
    }
}

fn verdict(v: VerdictView) -> &'static str {
    match v {
        VerdictView::Graded => "",
        VerdictView::TooShort => "（太短，不计分）",
        VerdictView::CopiedModel => "（与参考答案雷同，不计分）",
        VerdictView::OffTopic => "（更像是在回答另一道题，不计分）",
        VerdictView::CopiedMember => "（与他人先提交的答案雷同，不计分）",
        VerdictView::AfterPeek => "（看过答案后作答，不计分）",
        VerdictView::ChoiceRight => "（选对了）",
        VerdictView::ChoiceWrong => "（选错了）",
    }
}

fn result_line(s: &mut String, r: &ResultLine) {
    let _ = write!(
        s,
        "\n• {}：{} 分，+{} 积分{}",
        r.name,
        r.score,
        r.points,
        verdict(r.verdict)
    );
    match r.cap {
        Some(Cap::Short(max)) => {
            let _ = write!(s, "（解释偏少，要点说全了也最多 {max} 分）");
        }
        Some(Cap::Contradicted(max)) => {
            let _ = write!(s, "（有多处说法与要点相反，最多 {max} 分）");
        }
        Some(Cap::TermList(max)) => {
            let _ = write!(s, "（只列了术语，最多 {max} 分）");
        }
        None => {}
    }
    if !r.covered.is_empty() {
        let _ = write!(s, "\n  ✓ {}", r.covered.join("；"));
    }
    if !r.missed.is_empty() {
        let _ = write!(s, "\n  ✗ {}", r.missed.join("；"));
    }
    for c in &r.contradicted {
        let (said, point) = (&c.said, &c.point);
        if c.denied {
            let _ = write!(s, "\n  ⚠ 否认了「{said}」，但{point}");
        } else {
            let _ = write!(s, "\n  ⚠ 提到了「{said}」，但{point}");
        }
    }
    if let Some(a) = &r.answer {
        let _ = write!(s, "\n  答：{a}");
    }
}

fn board_line(s: &mut String, l: &super::BoardLine) {
    let me = if l.is_caller { " ← 你" } else { "" };
    let _ = write!(
        s,
        "\n{}. {} —— {} 积分（{} 题）{me}",
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
                "在群里把我加进去，大家每天一起练；在这里可以用 /stats 查看自己的成绩。"
            } else {
                "管理员发送 /settings on 即可开始每日推送（Discord 上先用 /settings channel 选择频道）。"
            };
            format!(
                "大家好，我是 drillbot：每天一道后端面试题（网络、HTTP、操作系统、并发、Python、SQL/MySQL、Redis、消息队列、Web 框架、安全、分布式、架构）。\n\
                 用 /answer 作答，揭晓前答案保密；揭晓时按要点评分，计入积分、连续打卡和排行榜。\n\
                 默认：{post_time} 出题，{reveal_time} 揭晓，时区 {timezone}，全部主题，中文界面；管理员可用 /settings 修改。\n\
                 {start}\n发送 /help 查看全部命令。"
            )
        }
        Msg::QuestionPost {
            question,
            reveal_at,
        } => {
            let how = if question.choices.is_empty() {
                "用 /answer <你的答案> 作答"
            } else if question.several {
                "多选题：用 /answer <所有正确选项的字母> 作答，例如 /answer AC"
            } else {
                "用 /answer <选项字母> 作答，例如 /answer B"
            };
            format!(
                "📝 今日一题\n{}\n\n{how}；答案揭晓前保密，{reveal_at} 揭晓。",
                question_block(question)
            )
        }
        Msg::AnswerRecorded {
            replaced,
            reveal_at,
            after_peek,
        } => {
            let what = if *replaced {
                "已更新你的答案（覆盖之前的提交）"
            } else {
                "已收到你的答案"
            };
            if *after_peek {
                format!("{what}。你已经看过参考答案，这次作答会被记录，但不计分。")
            } else {
                format!("{what}，答案保密。得分和要点将在 {reveal_at} 揭晓时公布。")
            }
        }
        Msg::NoOpenRound => "现在没有进行中的题目。用 /today 查看今天的题。".into(),
        Msg::AnswerTooLong { max, len } => format!(
            "答案太长了（{len} 字），上限是 {max} 字。请精简后再提交，这次没有保存。"
        ),
        Msg::BadChoice { last } => format!(
            "这是一道选择题，请用选项字母作答，例如 /answer B 或 /answer AC（选项 A 到 {last}）。这次没有保存。"
        ),
        Msg::PersonalReveal {
            question,
            answer,
            correct,
            points,
            round_open,
        } => {
            let mut s = format!("👀 只有你能看到\n{}\n\n", question_block(question));
            if !correct.is_empty() {
                let _ = writeln!(s, "正确答案：{}\n", letters(correct));
            }
            s.push_str(answer.trim());
            if !points.is_empty() {
                s.push_str("\n\n要点：");
                for p in points {
                    let _ = write!(s, "\n• {p}");
                }
            }
            if *round_open {
                s.push_str("\n\n你已看过答案：之后提交的答案会被记录，但不计分。");
            }
            s.push_str("\n揭晓后可以用 /rate again|hard|good|easy 给自己打分。");
            s
        }
        Msg::Reveal(r) => {
            let mut s = format!("✅ 揭晓\n{}\n\n", question_block(&r.question));
            if !r.correct.is_empty() {
                let _ = writeln!(s, "正确答案：{}\n", letters(&r.correct));
            }
            s.push_str(r.answer.trim());
            if !r.points.is_empty() {
                s.push_str("\n\n要点：");
                for (i, p) in r.points.iter().enumerate() {
                    let _ = write!(s, "\n{}. {p}", i + 1);
                }
            }
            if r.results.is_empty() {
                s.push_str("\n\n本轮没有人作答。");
            } else {
                let _ = write!(s, "\n\n本轮结果（{} 人作答）：", r.results.len());
                for line in &r.results {
                    result_line(&mut s, line);
                }
            }
            if !r.peeked_only.is_empty() {
                let _ = write!(s, "\n提前看了答案：{}", r.peeked_only.join("、"));
            }
            s.push_str("\n\n记得怎么样？点下面的按钮或用 /rate again|hard|good|easy 自评。");
            s
        }
        Msg::NotAdmin => "只有群管理员可以这样做。".into(),
        Msg::Settings { view, changed } => {
            let head = if *changed { "设置已更新：" } else { "当前设置：" };
            let topics = if view.topics.is_empty() {
                "全部".to_string()
            } else {
                view.topics.join(", ")
            };
            let channel = view
                .channel
                .as_ref()
                .map(|c| {
                    let threads = if view.threads { "开启" } else { "关闭（/settings threads on 开启）" };
                    format!("\n• 发布频道：{c}\n• 揭晓后的讨论串：{threads}")
                })
                .unwrap_or_default();
            let channel = match view.forum_topic {
                Some(t) => format!("{channel}\n• 发布话题：#{t}（/settings here general 改回 General）"),
                None => channel,
            };
            format!(
                "{head}{channel}\n• 每日推送：{}\n• 出题日：{}\n• 出题时间：{}\n• 揭晓时间：{}\n• 时区：{}\n• 主题：{topics}\n• 难度：{}-{}\n• 语言：{}\n• 揭晓时公开答案：{}\n修改示例：/settings post 08:30、/settings tz Europe/Berlin、/settings topics network,redis",
                if view.scheduled { "开启" } else { "未开启（/settings on 开启）" },
                if view.post_days == "all" { "每天".to_string() } else { view.post_days.clone() },
                view.post_time,
                view.reveal_time,
                view.timezone,
                view.difficulty.0,
                view.difficulty.1,
                if view.lang == super::Lang::Zh { "中文 (zh)" } else { "English (en)" },
                if view.show_answers { "是" } else { "否" },
            )
        }
        Msg::UnknownTopics { unknown, known } => format!(
            "没有这些主题：{}。可选：{}（或 all）。",
            unknown.join(", "),
            known.join(", ")
        ),
        Msg::NoQuestions => {
            "按当前的主题和难度筛选，题库里没有可用的题目。请用 /settings topics 或 /settings difficulty 放宽条件。".into()
        }
        Msg::SameTimes => "出题时间和揭晓时间不能相同。".into(),
        Msg::ChannelsOnlyOnDiscord => {
            "频道和讨论串设置只用于 Discord 服务器；这里的题目直接发在本群。".into()
        }
        Msg::ChoiceFinal { chosen } => {
            format!("你已经选了 {chosen}：选择题每人只能作答一次，揭晓时见分晓。")
        }
        Msg::TopicsOnlyOnTelegram => {
            "/settings here 用于 Telegram 的论坛话题群：在某个话题里发送它，每日题目就发到那个话题。".into()
        }
        Msg::ChannelFirst => "请先用 /settings channel 选择每日题目发布的频道，选好后推送会自动开启。".into(),
        Msg::ChatPaused { reason } => format!(
            "⚠️ 每日推送已暂停：平台拒绝了机器人的消息（{reason}）。请检查机器人在频道里的权限，然后用 /settings channel 或 /settings on 重新开启。"
        ),
        Msg::NothingToSkip => "今天还没有可以换掉的题目。".into(),
        Msg::Skipped { number } => format!("管理员换掉了第 {number} 题，下面是新题目。"),
        Msg::RateTooEarly => "看过答案之后才能自评：等揭晓，或用 /reveal 自己先看。".into(),
        Msg::Rated { rating } => format!("已记录自评：{}。", rating_label(*rating)),
        Msg::Leaderboard(b) => {
            let title = match b.period {
                Period::Week => "本周排行榜",
                Period::Month => "本月排行榜",
                Period::All => "总排行榜",
            };
            let mut s = format!("🏆 {title}");
            if b.top.is_empty() {
                s.push_str("\n还没有成绩，答完一题并揭晓后就会出现在这里。");
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
                "📊 {} 的统计\n• 已答：{} 题\n• 平均分：{}\n• 总积分：{}\n• 连续打卡：{} 轮（最佳 {} 轮）",
                st.name,
                st.answered,
                one_decimal(st.average),
                st.points,
                st.current_streak,
                st.best_streak
            );
            if !st.topics.is_empty() {
                s.push_str("\n各主题：");
                for t in &st.topics {
                    let _ = write!(
                        s,
                        "\n• {}：{} 题，平均 {}",
                        t.topic,
                        t.answered,
                        one_decimal(t.average)
                    );
                }
            }
            s
        }
        Msg::UnknownUser(name) => format!("这个群里没有找到“{name}”的记录。"),
        Msg::NoStatsYet(name) => format!("{name} 还没有已揭晓的作答记录。"),
        Msg::Topics(lines) => {
            let mut s = "📚 题库主题（/settings topics 可筛选）：".to_string();
            for l in lines {
                let mark = if l.selected { "✓" } else { " " };
                let _ = write!(s, "\n{mark} {} —— {}（{} 题）", l.key, l.name, l.questions);
            }
            s
        }
        Msg::Help { admin } => {
            let mut s = "drillbot 命令：".to_string();
            for name in CommandName::ALL {
                if matches!(name, CommandName::Settings | CommandName::Skip) && !admin {
                    continue;
                }
                let _ = write!(s, "\n{}", usage(name));
            }
            s.push_str(
                "\n\n例子：\n/answer TCP 三次握手是为了同步双方的初始序列号……\n/leaderboard month\n/stats alice",
            );
            if !admin {
                s.push_str("\n/settings 查看本群设置（管理员可以修改）。");
            }
            s
        }
        Msg::UnknownCommand(name) => {
            format!("不认识命令 /{name}。发送 /help 查看全部命令。")
        }
        Msg::Malformed { name, problem: p } => {
            format!("{}\n用法：{}", problem(p), usage(*name))
        }
        Msg::Internal => "抱歉，出了点问题，这次操作没有保存。请稍后再试。".into(),
        Msg::StorageFull { answer: true } => {
            "⚠️ 你的答案没有保存：机器人的存储空间已满。请告诉管理员，腾出空间后再提交一次。".into()
        }
        Msg::StorageFull { answer: false } => {
            "⚠️ 这次操作没有保存：机器人的存储空间已满。请告诉管理员，腾出空间后再试。".into()
        }
        Msg::ConsoleAs { name, admin } => {
            let role = if *admin { "管理员" } else { "成员" };
            format!("现在以 {name}（{role}）的身份发言。")
        }
        Msg::ConsoleClock { local, timezone } => format!("🕒 现在是 {local}（{timezone}）"),
        Msg::ConsoleBadClock(x) => format!(
            "“{x}”无效。用法：/clock +2h、/clock +30m、/clock +1d，或 /clock 2026-12-01T09:00（群时区）。"
        ),
        Msg::ConsoleClockTooFar { max_days } => {
            format!("时钟一次最多移动 {max_days} 天（途经的每次出题和揭晓都会发生）。")
        }
        Msg::ConsoleNotUtf8(line) => format!("第 {line} 行不是 UTF-8 文本，已跳过。"),
        Msg::ConsoleLineTooLong { line, max } => format!("第 {line} 行超过 {max} 字节，已跳过。"),
        Msg::ConsoleBadAs => "用法：/as <名字> [--member|--admin]".into(),
        Msg::ConsolePlainText => "（提示：作答请用 /answer <你的答案>；/help 查看命令。）".into(),
        Msg::ConsoleHelp => "控制台命令：/as <名字> [--member|--admin] 切换成员，/clock +2h|+1d|2026-12-01T09:00 移动时钟，/quit 退出。".into(),
    }
}
