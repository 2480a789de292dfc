//! Discord's own strings (slash-command descriptions, the answer modal, the note for DMs), in both languages.

use crate::vocab::Lang;

/// The note for a command used outside a server.
pub fn servers_only(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "请在服务器（群组）里使用这些命令。",
        Lang::En => "Please use these commands in a server.",
    }
}

/// What a member sees when the public post their command made could not go into the channel.
pub fn post_failed(lang: Lang, reason: &str) -> String {
    let reason = crate::markup::literal(reason);
    match lang {
        Lang::Zh => format!(
            "⚠ 没能发到这个频道（{reason}）。请让管理员检查机器人在这里的“查看频道”“发送消息”“嵌入链接”权限。"
        ),
        Lang::En => format!(
            "⚠ Could not post in this channel ({reason}). Ask an admin to check the bot's View Channel, Send \
             Messages and Embed Links permissions here."
        ),
    }
}

/// The answer modal: (title, input label).
pub fn answer_modal_labels(lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::Zh => ("作答（揭晓前保密）", "你的答案"),
        Lang::En => ("Your answer (sealed until the reveal)", "Answer"),
    }
}

/// The description of a slash command, option (`command.option`) or choice (`choice.value`) in a language.
pub fn description(lang: Lang, key: &str) -> Option<&'static str> {
    match lang {
        Lang::Zh => description_zh(key),
        Lang::En => description_en(key),
    }
}

fn description_zh(key: &str) -> Option<&'static str> {
    Some(match key {
        "settings show" => "查看当前设置",
        "settings channel" => "选择每日题目的频道（同时开启推送）",
        "settings post" => "每日出题时间",
        "settings reveal" => "揭晓时间",
        "settings tz" => "时区",
        "settings topics" => "出题主题",
        "settings difficulty" => "难度范围",
        "settings lang" => "界面语言",
        "settings answers" => "揭晓时是否公开答案",
        "settings schedule" => "开启或暂停每日推送",
        "settings days" => "每周哪几天出题",
        "settings threads" => "揭晓后开一个讨论串",
        "settings threads.state" => "on 或 off",
        "answer.text" => "你的答案",
        "reveal.who" => "只给自己看，或（管理员）向所有人揭晓",
        "rate.rating" => "记得怎么样",
        "leaderboard.period" => "时段",
        "stats.user" => "查看谁的成绩（默认自己）",
        "settings channel.channel" => "频道（默认当前频道）",
        "settings post.time" => "24 小时制 HH:MM，例如 09:00",
        "settings reveal.time" => "24 小时制 HH:MM，例如 21:00",
        "settings tz.zone" => "IANA 时区名，例如 Asia/Shanghai",
        "settings topics.topics" => "主题，逗号分隔，或 all",
        "settings difficulty.range" => "1 到 3，例如 2 或 1-3",
        "settings lang.language" => "zh 或 en",
        "settings answers.mode" => "show 或 hide",
        "settings schedule.state" => "on 或 off",
        "settings days.days" => "all、weekdays、mon-fri、mon,wed,fri",
        "choice.me" => "只有我",
        "choice.everyone" => "所有人",
        "choice.again" => "忘了",
        "choice.hard" => "困难",
        "choice.good" => "记得",
        "choice.easy" => "简单",
        "choice.week" => "本周",
        "choice.month" => "本月",
        "choice.all" => "全部",
        "choice.zh" => "中文",
        "choice.en" => "英文",
        "choice.show" => "公开",
        "choice.hide" => "隐藏",
        "choice.on" => "开启",
        "choice.off" => "暂停",
        _ => return None,
    })
}

fn description_en(key: &str) -> Option<&'static str> {
    Some(match key {
        "settings show" => "Show the settings",
        "settings channel" => "Channel for the daily question (starts the schedule)",
        "settings post" => "Time of the daily question",
        "settings reveal" => "Time of the reveal",
        "settings tz" => "Time zone",
        "settings topics" => "Topics to draw from",
        "settings difficulty" => "Difficulty range",
        "settings lang" => "Interface language",
        "settings answers" => "Show members' answers at the reveal",
        "settings schedule" => "Start or pause the daily schedule",
        "settings days" => "Days of the week with a question",
        "settings threads" => "Open a discussion thread under each reveal",
        "settings threads.state" => "on or off",
        "answer.text" => "Your answer",
        "reveal.who" => "Only you, or (admins) everyone",
        "rate.rating" => "How well you knew it",
        "leaderboard.period" => "Period",
        "stats.user" => "Whose stats (default: yours)",
        "settings channel.channel" => "The channel (default: this one)",
        "settings post.time" => "24-hour HH:MM, e.g. 09:00",
        "settings reveal.time" => "24-hour HH:MM, e.g. 21:00",
        "settings tz.zone" => "IANA time zone, e.g. Europe/Berlin",
        "settings topics.topics" => "Topic keys, comma-separated, or all",
        "settings difficulty.range" => "1 to 3, e.g. 2 or 1-3",
        "settings lang.language" => "zh or en",
        "settings answers.mode" => "show or hide",
        "settings schedule.state" => "on or off",
        "settings days.days" => "all, weekdays, mon-fri, mon,wed,fri",
        _ => return None,
    })
}
