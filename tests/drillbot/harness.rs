//! The test harness: a bot on a temporary database and the fixture bank, with a controllable clock.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use drillbot::Engine;
use drillbot::bank::Bank;
use drillbot::message::{
    Audience, ChatRef, Incoming, Outgoing, Platform, Reply, ReplyKind, UserRef,
};
use drillbot::settings::{ChatDefaults, Limits};
use drillbot::store::Store;
use tempfile::TempDir;

/// The fixture bank directory.
pub fn fixture_bank_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bank")
}

/// The fixture bank.
pub fn fixture_bank() -> Bank {
    Bank::load_dir(&fixture_bank_dir()).expect("the fixture bank is valid")
}

/// A bot under test. `admin` is the chat's admin; anyone else is a member.
pub struct TestBot {
    pub engine: Arc<Engine>,
    pub now: DateTime<Utc>,
    pub tz: Tz,
    pub chat: ChatRef,
    pub db_path: PathBuf,
    _dir: TempDir,
}

impl TestBot {
    /// A bot in Asia/Shanghai with the default times (post 09:00, reveal 21:00), clock at 2026-11-23 08:00.
    pub fn new() -> TestBot {
        TestBot::with(|_| {})
    }

    /// A bot whose chat defaults are adjusted first.
    pub fn with(adjust: impl FnOnce(&mut ChatDefaults)) -> TestBot {
        TestBot::with_bank(fixture_bank(), adjust)
    }

    /// A bot with its own bank, chat defaults adjusted first.
    pub fn with_bank(bank: Bank, adjust: impl FnOnce(&mut ChatDefaults)) -> TestBot {
        let mut defaults = ChatDefaults::default();
        adjust(&mut defaults);
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("test.db");
        let store = Store::open(&db_path).unwrap();
        let tz = defaults.timezone;
        let engine = Arc::new(Engine::new(bank, store, defaults, Limits::default()));
        let mut bot = TestBot {
            engine,
            now: Utc::now(),
            tz,
            chat: ChatRef {
                platform: Platform::Telegram,
                id: "-100123".into(),
            },
            db_path,
            _dir: dir,
        };
        bot.set_clock("2026-11-23T08:00");
        bot
    }

    /// An instant from a local time in the bot's zone.
    pub fn local(&self, local: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M").unwrap();
        self.tz
            .from_local_datetime(&naive)
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    /// Sets the clock to a local time without running the schedule.
    pub fn set_clock(&mut self, local: &str) {
        self.now = self.local(local);
    }

    /// Moves the clock to a local time, running the schedule at every event on the way; returns what it sent.
    pub fn advance_to(&mut self, local: &str) -> Vec<Outgoing> {
        let target = self.local(local);
        let mut out = self.engine.tick(self.now);
        while let Some(next) = self.engine.next_event_after(self.now) {
            if next > target {
                break;
            }
            self.now = next;
            out.extend(self.engine.tick(self.now));
        }
        self.now = target;
        out.extend(self.engine.tick(self.now));
        out
    }

    pub fn incoming(&self, user: &str, text: &str, admin: bool) -> Incoming {
        Incoming {
            chat: self.chat.clone(),
            user: UserRef {
                platform: Platform::Telegram,
                id: format!("id-{user}"),
            },
            display_name: user.to_string(),
            text: text.to_string(),
            is_admin: admin,
            is_private: false,
        }
    }

    /// `user` (a member) says `text` in the group.
    pub fn say(&self, user: &str, text: &str) -> Vec<Reply> {
        self.engine
            .handle(&self.incoming(user, text, false), self.now)
    }

    /// The admin says `text` in the group.
    pub fn admin(&self, text: &str) -> Vec<Reply> {
        self.engine
            .handle(&self.incoming("admin", text, true), self.now)
    }

    /// Starts the daily schedule (as the admin).
    pub fn start_schedule(&self) {
        let r = self.admin("/settings on");
        assert_eq!(r[0].kind, ReplyKind::Confirmation, "{}", r[0].text);
    }

    /// The question id of the chat's live round on a local date.
    pub fn question_on(&self, date: &str) -> Option<String> {
        let row = self.engine.chat_row(&self.chat).unwrap()?;
        let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        self.engine
            .store()
            .live_round_on(row.id, date)
            .unwrap()
            .map(|r| r.question_id)
    }

    /// The test chat's stored row (it must exist).
    pub fn chat(&self) -> drillbot::store::ChatRow {
        self.engine
            .chat_row(&self.chat)
            .expect("the database answers")
            .expect("the chat is registered")
    }

    /// The chat's currently open round's question.
    pub fn open_question(&self) -> Option<drillbot::bank::Question> {
        let row = self.engine.chat_row(&self.chat).unwrap()?;
        let round = self.engine.store().open_round(row.id).unwrap()?;
        self.engine.bank().get(&round.question_id).cloned()
    }

    /// A second engine on the same database file: another process sharing it.
    pub fn second_engine(&self) -> Arc<Engine> {
        Arc::new(Engine::new(
            fixture_bank(),
            Store::open(&self.db_path).unwrap(),
            ChatDefaults::default(),
            Limits::default(),
        ))
    }

    /// Count rows of a table.
    pub fn count(&self, table: &str) -> i64 {
        self.engine
            .store()
            .with_connection(|c| {
                c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            })
            .unwrap()
    }
}

/// A good free-text answer for a fixture question (covers every key point), written in different words.
pub fn good_answer(question_id: &str) -> &'static str {
    match question_id {
        "alpha-handshake" => {
            "客户端先发 SYN，服务端回 SYN+ACK，客户端再回 ACK：双方交换并确认各自的初始序列号 ISN，\
             也确认了彼此都能收能发，还可以避免网络里滞留的历史连接请求被错误地建立起来。"
        }
        "alpha-time-wait" => {
            "主动关闭的一方在发出最后一个 ACK 之后要等 2MSL 才真正关闭：这样最后一个 ACK 丢失时对方会重发 FIN，\
             自己还能重传 ACK；同时让网络里迟到的报文过期消失，不会混进用同一个端口新建的连接。"
        }
        "beta-gil" => {
            "CPython 有全局解释器锁，同一时刻只有一个线程能执行字节码，所以 CPU 密集的任务开多线程也没法并行，\
             要用多进程 multiprocessing；IO 密集的任务在等待 IO 时会释放锁，用线程还可以提高吞吐。"
        }
        "beta-generator" => {
            "函数体里只要写了 yield 就是生成器函数，调用它并不执行函数体，而是返回一个迭代器；每次 next \
             运行到下一个 yield 就暂停并交出一个值，按需惰性地产生数据，不用一次把所有结果放进内存。"
        }
        "alpha-choice" => "B",
        other => panic!("no good answer for {other}"),
    }
}

/// A weaker answer covering only the first key point.
pub fn partial_answer(question_id: &str) -> &'static str {
    match question_id {
        "alpha-handshake" => {
            "建立连接时客户端先发 SYN，服务端回应以后客户端再确认一次，然后才开始传数据。"
        }
        "alpha-time-wait" => "主动关闭方需要等待 2MSL 的时间再关闭。",
        "beta-gil" => "因为有 GIL，同一时刻只有一个线程在跑。",
        "beta-generator" => "生成器就是函数里写了 yield 的函数。",
        "alpha-choice" => "A",
        other => panic!("no partial answer for {other}"),
    }
}

/// Replies visible to everyone in the chat.
pub fn public(replies: &[Reply]) -> Vec<&Reply> {
    replies
        .iter()
        .filter(|r| r.audience == Audience::Chat)
        .collect()
}

/// Whether every reply is private to the given user id.
pub fn all_private_to(replies: &[Reply], user: &str) -> bool {
    replies
        .iter()
        .all(|r| matches!(&r.audience, Audience::User(u) if u.id == format!("id-{user}")))
}

impl TestBot {
    /// (score, points, verdict) of a member's answer in the chat's latest round that has one.
    pub fn result_of(&self, user: &str) -> Option<(i64, i64, String)> {
        self.engine
            .store()
            .with_connection(|c| {
                c.query_row(
                    "SELECT a.score, a.points, a.verdict FROM answers a JOIN users u ON u.id = a.user_id
                     JOIN rounds r ON r.id = a.round_id
                     WHERE u.display_name = ?1 AND r.skipped = 0 ORDER BY r.local_date DESC LIMIT 1",
                    [user],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
            })
            .ok()
    }
}

/// A `drillbot` child whose standard error (its log) is read while it runs. A pipe nobody reads fills up
/// (64 KB) and then blocks every thread of the child that logs: with a debug log, a child stalled that way
/// sent its requests only once the test started reading at the end.
pub struct Logged {
    child: std::process::Child,
    log: std::thread::JoinHandle<String>,
}

impl Logged {
    /// Spawns `command` with its standard error piped and read as it comes.
    pub fn spawn(command: &mut std::process::Command) -> Logged {
        use std::io::Read;
        let mut child = command
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut pipe = child.stderr.take().expect("piped");
        let log = std::thread::spawn(move || {
            let mut raw = Vec::new();
            let _ = pipe.read_to_end(&mut raw);
            String::from_utf8_lossy(&raw).into_owned()
        });
        Logged { child, log }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the child has exited.
    pub fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
    }

    /// Waits for the child to exit: whether it exited successfully, and its whole log.
    pub async fn wait(mut self) -> (bool, String) {
        tokio::task::spawn_blocking(move || {
            let status = self.child.wait().unwrap();
            (status.success(), self.log.join().unwrap())
        })
        .await
        .unwrap()
    }
}

/// Sends SIGTERM to a child.
pub fn signal_term(pid: u32) {
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
}

/// Stops a `drillbot run` child with SIGTERM and returns whether it exited successfully, and its log (stderr).
pub async fn terminate(child: Logged) -> (bool, String) {
    signal_term(child.id());
    child.wait().await
}

/// A reply's text as a reader sees it (escapes of user text resolved).
pub fn shown(reply: &Reply) -> String {
    drillbot::markup::unescape(&reply.text)
}

/// Runs the `drillbot` binary from the repository's root with `stdin` as its standard input.
pub fn run_drillbot(args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_drillbot"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// A plain HTTP/1.1 GET on loopback: the status code and the body.
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
    tcp.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .ok()?;
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).await.ok()?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let status = raw.split(' ').nth(1)?.parse().ok()?;
    let body = raw.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

pub fn free_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}
