//! The `drillbot` binary: a thin shell over the library. Sets up logging, loads settings, builds the engine
//! and runs the chosen command.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use clap::{Parser, Subcommand};

use drillbot::bank::{self, Bank, Severity};
use drillbot::grading::{self, Grader, eval::EvalSet};
use drillbot::settings::{self, Settings};
use drillbot::store::Store;
use drillbot::{Engine, console};

#[derive(Parser)]
#[command(
    name = "drillbot",
    version,
    about = "Group interview practice: one question a day, graded answers, scores and streaks."
)]
struct Cli {
    /// Directory with default.toml and local.toml (both optional; default ./config, used only if it exists).
    #[arg(long, global = true)]
    config_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// A local chat in the terminal with the bundled bank; no token needed.
    Console {
        /// SQLite file (default: database.path from the configuration, ./drillbot.db).
        #[arg(long)]
        db: Option<PathBuf>,
        /// Start the clock at this local time (chat time zone), e.g. 2026-12-01T08:00. Default: now.
        #[arg(long)]
        now: Option<String>,
        /// Name of the first (admin) member.
        #[arg(long = "as", default_value = "host")]
        user: String,
    },
    /// Run the bot: the schedule and every chat platform with a configured token, until SIGINT/SIGTERM.
    Run {
        /// SQLite file (default: database.path from the configuration).
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Work with the question bank.
    Bank {
        #[command(subcommand)]
        command: BankCmd,
    },
    /// Work with the database.
    Db {
        #[command(subcommand)]
        command: DbCmd,
    },
    /// Ask the running bot's /healthz (on http.listen) and exit 0 when it is healthy: for container
    /// health checks, where no HTTP client is installed.
    Healthcheck,
}

#[derive(Subcommand)]
enum BankCmd {
    /// Validate bank files and print file:line for every problem (exit 1 on errors).
    Check {
        /// Directory of topic files (default: ./content if present, else the bank built into the binary).
        dir: Option<PathBuf>,
    },
    /// Count questions per topic and difficulty.
    Stats {
        /// Print JSON: {"questions": N, "topics": {...}, "difficulty": {...}}.
        #[arg(long)]
        json: bool,
        /// Directory of topic files (default: the configured bank).
        dir: Option<PathBuf>,
    },
    /// Grade the evaluation set (labelled answers written blind) and print how well the grader separates them.
    Eval {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Only questions of this topic.
        #[arg(long)]
        topic: Option<String>,
        /// Directory of evaluation files (default: ./content/eval).
        #[arg(long)]
        set: Option<PathBuf>,
        /// Directory of topic files (default: ./content if present, else the configured bank).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Grade one answer, read from standard input, against a question: score, verdict, covered, missed and
    /// contradicted points (exit 2 for an unknown id).
    Grade {
        /// The question id.
        id: String,
        /// Print {"score": N, "verdict": "...", "covered": [...], "missed": [...], "contradicted": [...]}.
        #[arg(long)]
        json: bool,
        /// Directory of topic files (default: the configured bank).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Turn a Markdown or plain-text list of interview questions into a DRAFT topic file to review by hand.
    Import {
        /// The Markdown or text file to import.
        file: PathBuf,
        /// Topic key of the new file: lowercase letters, digits and '-'.
        #[arg(long)]
        topic: String,
        /// Directory to write <TOPIC>.toml into (created if needed).
        #[arg(long)]
        out: PathBuf,
        /// Replace <OUT>/<TOPIC>.toml if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum DbCmd {
    /// Check a database without writing to it: integrity, foreign keys, schema version, outbox, row counts
    /// (exit 1 on a problem).
    Check {
        /// SQLite file (default: database.path from the configuration).
        #[arg(long)]
        db: Option<PathBuf>,
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Apply the pending schema migrations (start-up does this too); with --dry-run, only list them.
    Migrate {
        /// SQLite file (default: database.path from the configuration).
        #[arg(long)]
        db: Option<PathBuf>,
        /// List the pending migrations and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Copy the database to a file with SQLite's online backup.
    Backup {
        /// Destination file.
        out: PathBuf,
        /// SQLite file (default: database.path from the configuration).
        #[arg(long)]
        db: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("drillbot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(settings: &Settings, quiet: bool) {
    let default = if quiet {
        "warn"
    } else {
        settings.log_level.as_str()
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr);
    if settings.log_json {
        fmt.json().init();
    } else {
        fmt.with_ansi(io::stderr().is_terminal()).init();
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config_dir = match &cli.config_dir {
        Some(dir) => {
            anyhow::ensure!(
                dir.is_dir(),
                "--config-dir {}: no such directory",
                dir.display()
            );
            dir.clone()
        }
        None => PathBuf::from("config"),
    };
    let settings = settings::load(&config_dir)?;
    match cli.command {
        Cmd::Console { db, now, user } => {
            init_tracing(&settings, true);
            let engine = build_engine(&settings, db.as_deref())?;
            let start = match now {
                None => Utc::now(),
                Some(s) => parse_start(&s, settings.chat.timezone)?,
            };
            if io::stdin().is_terminal() {
                console::run_interactive(&engine, start, &user)?;
            } else {
                console::run(
                    &engine,
                    start,
                    &user,
                    &mut io::stdin().lock(),
                    &mut io::stdout().lock(),
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Run { db } => {
            init_tracing(&settings, false);
            let engine = std::sync::Arc::new(build_engine(&settings, db.as_deref())?);
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            runtime.block_on(async {
                let (stop, stopped) = tokio::sync::watch::channel(false);
                tokio::spawn(async move {
                    shutdown_signal().await;
                    tracing::info!(
                        "shutdown signal received: finishing (a second signal stops at once)"
                    );
                    let _ = stop.send(true);
                    // Whatever holds up the clean stop, a second signal or the grace period ends the process.
                    tokio::select! {
                        () = shutdown_signal() => {
                            tracing::warn!("second shutdown signal: stopping now");
                        }
                        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
                            tracing::error!(grace = ?SHUTDOWN_GRACE, "not stopped within the grace period: stopping now");
                        }
                    }
                    std::process::exit(1);
                });
                drillbot::app::run(std::sync::Arc::clone(&engine), &settings, stopped).await
            })?;
            drop(runtime);
            drop(engine);
            tracing::info!("stopped cleanly; database closed");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bank {
            command: BankCmd::Check { dir },
        } => Ok(bank_check(dir)),
        Cmd::Bank {
            command: BankCmd::Stats { json, dir },
        } => {
            let bank = match dir {
                Some(dir) => Bank::load_dir(&dir)?,
                None => load_bank(&settings)?,
            };
            print_stats(&bank, json);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bank {
            command:
                BankCmd::Eval {
                    json,
                    topic,
                    set,
                    dir,
                },
        } => {
            let bank = match dir {
                Some(dir) => Bank::load_dir(&dir)?,
                None if Path::new("content").is_dir() => Bank::load_dir(Path::new("content"))?,
                None => load_bank(&settings)?,
            };
            bank_eval(&bank, &settings, json, topic.as_deref(), set)
        }
        Cmd::Bank {
            command: BankCmd::Grade { id, json, dir },
        } => {
            let bank = match dir {
                Some(dir) => Bank::load_dir(&dir)?,
                None => load_bank(&settings)?,
            };
            bank_grade(&bank, &settings, &id, json)
        }
        Cmd::Bank {
            command:
                BankCmd::Import {
                    file,
                    topic,
                    out,
                    force,
                },
        } => bank_import(&file, &topic, &out, force),
        Cmd::Healthcheck => healthcheck(&settings),
        Cmd::Db { command } => {
            init_tracing(&settings, false);
            let path = |db: Option<PathBuf>| db.unwrap_or(settings.database_path.clone());
            match command {
                DbCmd::Check { db, json } => db_check(&path(db), json),
                DbCmd::Migrate { db, dry_run } => db_migrate(&path(db), dry_run),
                DbCmd::Backup { out, db } => db_backup(&path(db), &out),
            }
        }
    }
}

fn healthcheck(settings: &Settings) -> anyhow::Result<ExitCode> {
    use std::io::{Read, Write};
    let Some(addr) = settings.http_listen else {
        anyhow::bail!("http.listen is not set: the bot serves no /healthz to ask");
    };
    // A bot listening on every interface is asked on loopback.
    let addr = if addr.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    let timeout = std::time::Duration::from_secs(5);
    let mut tcp = std::net::TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("nothing answers on {addr}"))?;
    tcp.set_read_timeout(Some(timeout))?;
    write!(
        tcp,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = String::new();
    tcp.read_to_string(&mut raw)
        .with_context(|| format!("no answer from {addr}"))?;
    let healthy = raw.starts_with("HTTP/1.1 200");
    println!(
        "{}",
        raw.split_once("\r\n\r\n").map_or(raw.as_str(), |(_, b)| b)
    );
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn db_backup(path: &Path, out: &Path) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        path.is_file(),
        "no database at {}: nothing to back up (check --db or database.path)",
        path.display()
    );
    anyhow::ensure!(
        !out.exists(),
        "{} already exists: choose a new file name",
        out.display()
    );
    let store = Store::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    store
        .backup(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!("backed up {} to {}", path.display(), out.display());
    Ok(ExitCode::SUCCESS)
}

fn db_check(path: &Path, json: bool) -> anyhow::Result<ExitCode> {
    use drillbot::store::check;
    anyhow::ensure!(
        path.is_file(),
        "no database at {}: nothing to check (check --db or database.path)",
        path.display()
    );
    let report =
        check::open_read_only(path).and_then(|conn| check::check(&conn, chrono::Utc::now()));
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            // A file too damaged to read is the problem the check looks for: report it, exit 1.
            eprintln!(
                "PROBLEM: {} cannot be read as a drillbot database: {e}",
                path.display()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    if json {
        let mut value = serde_json::to_value(&report)?;
        value["problems"] = serde_json::json!(report.problems());
        println!("{value}");
    } else {
        print!("{}", check::render(&report));
    }
    Ok(if report.problems().is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn db_migrate(path: &Path, dry_run: bool) -> anyhow::Result<ExitCode> {
    use drillbot::store::check;
    anyhow::ensure!(
        path.is_file(),
        "no database at {}: start drillbot once to create it (check --db or database.path)",
        path.display()
    );
    let pending = check::pending_migrations(
        &check::open_read_only(path).with_context(|| format!("cannot read {}", path.display()))?,
    )?;
    if pending.is_empty() {
        println!("{} is up to date: no migrations to apply", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    if dry_run {
        println!(
            "{} migration(s) would be applied to {}: {}",
            pending.len(),
            path.display(),
            pending.join(", ")
        );
        return Ok(ExitCode::SUCCESS);
    }
    Store::open(path).with_context(|| format!("cannot migrate {}", path.display()))?;
    println!(
        "applied {} migration(s) to {}: {}",
        pending.len(),
        path.display(),
        pending.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

/// How long a clean stop may take after the first shutdown signal: longer than Telegram's 10 s long poll (the
/// dispatcher waits for it), shorter than the 30 s stop timeouts in `deploy/` (systemd, compose), so the
/// process ends itself rather than being killed.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C still works");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

fn parse_start(s: &str, tz: chrono_tz::Tz) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(&s.replace(' ', "T"), "%Y-%m-%dT%H:%M")
        .with_context(|| format!("--now \"{s}\": expected a local time like 2026-12-01T08:00"))?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("--now \"{s}\" does not exist in {}", tz.name()))
}

fn load_bank(settings: &Settings) -> anyhow::Result<Bank> {
    let mut bank = if settings.bank_bundled {
        Bank::bundled()?
    } else {
        Bank::default()
    };
    for dir in &settings.bank_dirs {
        let extra =
            Bank::load_dir(dir).with_context(|| format!("bank directory {}", dir.display()))?;
        bank.merge(extra)?;
    }
    anyhow::ensure!(
        !bank.questions().is_empty(),
        "the question bank is empty (bank.bundled = false and no bank.dirs)"
    );
    if let Some(t) = settings
        .chat
        .topics
        .iter()
        .find(|t| bank.topic(t).is_none())
    {
        let known: Vec<&str> = bank.topics().iter().map(|t| t.key.as_str()).collect();
        anyhow::bail!(
            "invalid setting chat.topics: \"{t}\" is not a topic of the bank ({})",
            known.join(", ")
        );
    }
    Ok(bank)
}

fn build_engine(settings: &Settings, db: Option<&Path>) -> anyhow::Result<Engine> {
    let bank = load_bank(settings)?;
    let path = db.unwrap_or(&settings.database_path);
    let store =
        Store::open(path).with_context(|| format!("cannot open database {}", path.display()))?;
    Ok(Engine::new(
        bank,
        store,
        settings.chat.clone(),
        settings.limits.clone(),
    ))
}

fn bank_check(dir: Option<PathBuf>) -> ExitCode {
    let (dir_label, (bank, diagnostics)) = match &dir {
        Some(dir) => (dir.to_str().unwrap_or("."), bank::check_dir(dir)),
        None if Path::new("content").is_dir() => ("content", bank::check_dir(Path::new("content"))),
        None => ("content", bank::check_embedded_bundle()),
    };
    let mut diagnostics = diagnostics;
    if let Some(bank) = &bank {
        let eval_dir = Path::new(dir_label).join("eval");
        let eval = if eval_dir.is_dir() {
            match EvalSet::load_dir(&eval_dir) {
                Ok(set) => Some(set),
                Err(errors) => {
                    diagnostics.extend(errors);
                    None
                }
            }
        } else {
            None
        };
        diagnostics.extend(grading::lint::check(bank, eval.as_ref()));
    }
    for d in &diagnostics {
        println!("{d}");
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    let questions = bank.as_ref().map_or(0, |b| b.questions().len());
    println!("{questions} questions, {errors} errors, {warnings} warnings");
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn bank_import(file: &Path, topic: &str, out: &Path, force: bool) -> anyhow::Result<ExitCode> {
    use drillbot::importer as import;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let source = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{} is not UTF-8 text (convert it first, e.g. `iconv -f GBK -t UTF-8`)",
            file.display()
        )
    })?;
    let imported = import::import(&source, topic)?;
    let r = &imported.report;
    if imported.questions.is_empty() {
        for s in &r.skipped {
            eprintln!("  skipped {s}");
        }
        anyhow::bail!("no questions found in {}; nothing written", file.display());
    }
    let text = import::render_toml(&imported, &file.display().to_string());
    let path = import::write_topic_file(out, topic, &text, force)?;
    println!(
        "found {} questions in {} (read as {})",
        r.questions,
        file.display(),
        r.style.map_or("-".to_string(), |s| s.to_string())
    );
    println!("  with answers:    {}", r.with_answers);
    println!("  without answers: {}", r.without_answers);
    if r.skipped.is_empty() {
        println!("skipped: nothing");
    } else {
        println!("skipped:");
        for s in &r.skipped {
            println!("  {s}");
        }
    }
    println!(
        "wrote {}: every question is a draft with no key points; review it, then run `drillbot bank check {}`",
        path.display(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn print_stats(bank: &Bank, json: bool) {
    use std::collections::BTreeMap;
    let live: Vec<_> = bank.questions().iter().filter(|q| !q.draft).collect();
    let mut topics: BTreeMap<&str, usize> = BTreeMap::new();
    let mut hard: BTreeMap<&str, usize> = BTreeMap::new();
    let mut choice: BTreeMap<&str, usize> = BTreeMap::new();
    let mut difficulty: BTreeMap<u8, usize> = BTreeMap::new();
    for t in bank.topics() {
        for map in [&mut topics, &mut hard, &mut choice] {
            map.insert(t.key.as_str(), 0);
        }
    }
    for q in &live {
        let topic = q.topic.as_str();
        *topics.entry(topic).or_default() += 1;
        *difficulty.entry(q.difficulty).or_default() += 1;
        *hard.entry(topic).or_default() += usize::from(q.difficulty == 3);
        *choice.entry(topic).or_default() += usize::from(q.is_choice());
    }
    let drafts = bank.questions().len() - live.len();
    let hard_total: usize = hard.values().sum();
    let choice_total: usize = choice.values().sum();
    if json {
        let v = serde_json::json!({
            "questions": live.len(),
            "drafts": drafts,
            "topics": topics,
            "difficulty": difficulty.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
            "hard": hard,
            "hard_total": hard_total,
            "multiple_choice": choice,
            "multiple_choice_total": choice_total,
        });
        println!("{v}");
        return;
    }
    let share = |n: usize| 100.0 * n as f64 / live.len().max(1) as f64;
    println!(
        "{} questions ({} drafts not counted), {} hard ({:.0}%), {} multiple choice",
        live.len(),
        drafts,
        hard_total,
        share(hard_total),
        choice_total
    );
    for t in bank.topics() {
        let key = t.key.as_str();
        let by_d: Vec<String> = (1..=3)
            .map(|d| {
                live.iter()
                    .filter(|q| q.topic == t.key && q.difficulty == d)
                    .count()
                    .to_string()
            })
            .collect();
        println!(
            "  {:<14} {:>4}   (difficulty 1/2/3: {}, multiple choice: {})  {}",
            key,
            topics[key],
            by_d.join("/"),
            choice[key],
            t.name
        );
    }
}

fn bank_eval(
    bank: &Bank,
    settings: &Settings,
    json: bool,
    topic: Option<&str>,
    set: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let dir = set.unwrap_or_else(|| PathBuf::from("content/eval"));
    anyhow::ensure!(
        dir.is_dir(),
        "no evaluation set at {} (run from the repository, or pass --set DIR)",
        dir.display()
    );
    if let Some(t) = topic {
        anyhow::ensure!(bank.topic(t).is_some(), "unknown topic \"{t}\"");
    }
    let set = EvalSet::load_dir(&dir).map_err(|errors| {
        anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    let grader = Grader::new(bank);
    let report =
        grading::eval::evaluate(bank, &grader, &set, topic, settings.limits.min_answer_chars);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", grading::eval::render(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn bank_grade(bank: &Bank, settings: &Settings, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    use std::io::Read;
    let Some(q) = bank.get(id) else {
        eprintln!(
            "unknown question id \"{id}\" (see `drillbot bank stats` or the files in content/)"
        );
        return Ok(ExitCode::from(2));
    };
    let mut answer = String::new();
    io::stdin()
        .read_to_string(&mut answer)
        .context("reading the answer from standard input (it must be UTF-8)")?;
    let answer = answer.trim();
    let g = if q.is_choice() {
        match grading::parse_choice(q, answer) {
            Some(picks) => grading::Grade {
                covered: Vec::new(),
                ..grading::grade_choice(q, &picks)
            },
            None => {
                anyhow::bail!("\"{id}\" is multiple choice: answer with letters such as B or A,C")
            }
        }
    } else {
        Grader::new(bank).grade(q, answer, settings.limits.min_answer_chars)
    };
    let grading::Grade {
        score,
        covered,
        contradicted,
        verdict,
        reads_as,
        cap,
    } = g;
    let text_of = |i: &usize| q.points[*i].text.clone();
    let missed: Vec<String> = (0..q.points.len())
        .filter(|i| !covered.contains(i) && !contradicted.iter().any(|c| c.point == *i))
        .map(|i| text_of(&i))
        .collect();
    let covered: Vec<String> = covered.iter().map(text_of).collect();
    let contradicted: Vec<serde_json::Value> = contradicted
        .iter()
        .map(
            |c| serde_json::json!({"point": text_of(&c.point), "said": c.said, "denied": c.denied}),
        )
        .collect();
    if json {
        let out = serde_json::json!({
            "score": score,
            "verdict": verdict.key(),
            "reads_as": reads_as,
            "covered": covered,
            "missed": missed,
            "contradicted": contradicted,
            "term_list": grading::lint::is_term_list(answer),
            "cap": cap.map(|c| match c {
                grading::Cap::Short(max) => serde_json::json!({"kind": "short", "max": max}),
                grading::Cap::TermList(max) => serde_json::json!({"kind": "term_list", "max": max}),
                grading::Cap::Contradicted(max) => {
                    serde_json::json!({"kind": "contradicted", "max": max})
                }
            }),
        });
        println!("{out}");
    } else {
        println!("score: {score}\nverdict: {}", verdict.key());
        if let Some(other) = &reads_as {
            println!("reads as an answer to {other}");
        }
        match cap {
            Some(grading::Cap::Short(max)) => {
                println!(
                    "too little explanation for {} points: at most {max}",
                    q.points.len()
                )
            }
            Some(grading::Cap::Contradicted(max)) => {
                println!("contradicts {} points: at most {max}", contradicted.len())
            }
            Some(grading::Cap::TermList(max)) => {
                println!("read as a bare list of terms: at most {max}")
            }
            None => {}
        }
        for c in &covered {
            println!("  ✓ {c}");
        }
        for m in &missed {
            println!("  ✗ {m}");
        }
        for c in &contradicted {
            println!(
                "  ⚠ {} \"{}\", but: {}",
                if c["denied"] == true {
                    "denied"
                } else {
                    "said"
                },
                c["said"].as_str().unwrap_or(""),
                c["point"].as_str().unwrap_or("")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
