//! The command line. Every command takes `--database`; failures exit non-zero with one line.
use crate::config::{self, Config};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use relais_core::{Actor, Db};
use std::io::Read;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "relais",
    version,
    about = "Relais, the open-source CRM: the whole relationship with each customer"
)]
struct Cli {
    /// sqlite://PATH (default sqlite://relais.db, created on first run) or postgres://...
    #[arg(long, global = true, env = "RELAIS_DATABASE")]
    database: Option<String>,
    /// A TOML file with `database`, `listen`, `secure_cookies` (default: ./relais.toml if present).
    #[arg(long, global = true, env = "RELAIS_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web app and the JSON API.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, env = "RELAIS_LISTEN")]
        listen: Option<String>,
        /// Start on a fresh database filled with demo data; prints the URL and an admin login.
        #[arg(long)]
        demo: bool,
        /// Job workers run inside the server (0: none, jobs wait for `relais worker`).
        #[arg(long, default_value_t = 1)]
        workers: u32,
    },
    /// Run background jobs (imports...) without the web app: more workers for the same
    /// database, on this machine or another. Stops on Ctrl-C or SIGTERM.
    Worker {
        /// How many jobs to run at once.
        #[arg(long, default_value_t = 1)]
        workers: u32,
        /// Seconds a job's lease lasts without renewal: how soon a job whose worker died
        /// is taken up again.
        #[arg(long, default_value_t = 30)]
        lease_seconds: u32,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Import people or companies from CSV, or people from vCard.
    Import(crate::cli::transfer::ImportArgs),
    /// Export people or companies as CSV or vCard 4.0.
    Export(crate::cli::transfer::ExportArgs),
    /// Fill the database with realistic demo data (French and English), deterministic per seed.
    Demo {
        #[arg(long, default_value_t = 200)]
        people: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Write a consistent copy of the database while the server runs.
    Backup { out: PathBuf },
    /// Print the permission matrix of the roles (Markdown).
    Permissions,
    /// Measure the performance targets (figures in docs/PERFORMANCE.md).
    Bench {
        #[command(subcommand)]
        bench: bench::Bench,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, manager, sales, support, accounting, delivery, marketing or read-only.
        #[arg(long)]
        role: String,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; prints only the token, once.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "command line")]
        name: String,
    },
}

mod bench;
mod transfer;

pub async fn run() -> Result<()> {
    let cli = Cli::parse();
    let file = config::read_file(cli.config.as_deref())?;
    init_tracing();
    match cli.command {
        Command::Serve {
            listen,
            demo,
            workers,
        } => {
            let cfg = config::resolve(&file, cli.database.clone(), listen)?;
            serve(cfg, demo, workers, cli.database.is_some()).await
        }
        Command::Permissions => {
            print!("{}", relais_domain::role::matrix_markdown());
            Ok(())
        }
        Command::Bench { bench } => bench::run(bench).await,
        other => {
            let cfg = config::resolve(&file, cli.database, None)?;
            let db = open(&cfg).await?;
            let result = command(other, &db, &cfg).await;
            db.close().await;
            result
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RELAIS_LOG")
        .unwrap_or_else(|_| "relais=info,tower_http=warn,warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn open(cfg: &Config) -> Result<Db> {
    relais_core::connect(&cfg.database)
        .await
        .with_context(|| format!("cannot open the database {}", config::redact(&cfg.database)))
}

async fn command(cmd: Command, db: &Db, cfg: &Config) -> Result<()> {
    match cmd {
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    name,
                    role,
                    password_stdin,
                },
        } => {
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let draft = relais_core::users::UserDraft {
                email,
                name,
                role,
                team_id: None,
                password,
            };
            let u = relais_core::users::create(db, &Actor::SYSTEM, draft)
                .await
                .map_err(core)?;
            eprintln!("added {} <{}> as {}", u.name, u.email, u.role.as_str());
            Ok(())
        }
        Command::User {
            command: UserCommand::List,
        } => {
            for u in relais_core::users::list(db, &Actor::SYSTEM)
                .await
                .map_err(core)?
            {
                println!(
                    "{}\t{}\t{}\t{}",
                    u.email,
                    u.name,
                    u.role.as_str(),
                    if u.active { "active" } else { "deactivated" }
                );
            }
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { user, name },
        } => {
            let u = relais_core::users::by_email(db, &user)
                .await
                .map_err(|_| anyhow!("there is no user {user}"))?;
            let (_, token) = relais_core::users::create_token(db, &Actor::SYSTEM, u.id, &name)
                .await
                .map_err(core)?;
            println!("{token}");
            Ok(())
        }
        Command::Import(args) => transfer::import(db, args).await,
        Command::Export(args) => transfer::export(db, args).await,
        Command::Demo { people, seed } => {
            let stats = relais_core::demo::fill(db, people, seed)
                .await
                .map_err(core)?;
            eprintln!("demo data: {stats}");
            Ok(())
        }
        Command::Backup { out } => {
            if out.exists() {
                bail!("{} already exists; choose a new file", out.display());
            }
            relais_store::dialect::backup(db, &cfg.database, &out)
                .await
                .context("backup failed")?;
            eprintln!("backup written to {}", out.display());
            Ok(())
        }
        Command::Worker {
            workers,
            lease_seconds,
        } => {
            let lease = chrono::Duration::seconds(i64::from(lease_seconds.max(2)));
            let (stop, _) = tokio::sync::watch::channel(false);
            let handles = start_workers(db, cfg, workers.max(1), lease, &stop);
            eprintln!(
                "running jobs with {} worker(s); Ctrl-C stops",
                workers.max(1)
            );
            shutdown().await;
            let _ = stop.send(true);
            for h in handles {
                let _ = h.await;
            }
            Ok(())
        }
        Command::Serve { .. } | Command::Permissions | Command::Bench { .. } => {
            unreachable_command()
        }
    }
}

fn unreachable_command() -> Result<()> {
    bail!("this command is handled before the database is opened")
}

/// Service errors carry their own one-line message.
pub fn core(e: relais_core::CoreError) -> anyhow::Error {
    anyhow!("{e}")
}

fn read_password() -> Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("cannot read the password from standard input")?;
    let line = s.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        bail!("no password on standard input");
    }
    Ok(line)
}

/// Starts `n` job workers on `db`; they stop when `stop` turns true.
fn start_workers(
    db: &Db,
    cfg: &Config,
    n: u32,
    lease: chrono::Duration,
    stop: &tokio::sync::watch::Sender<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..n)
        .map(|_| {
            let mut worker =
                relais_core::jobs::Worker::new(db.clone(), relais_core::jobs::Registry::standard());
            worker.lease = lease;
            worker.import_undo = chrono::Duration::days(i64::from(cfg.import_undo_days));
            let mut rx = stop.subscribe();
            tokio::spawn(worker.run(async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }))
        })
        .collect()
}

async fn serve(mut cfg: Config, demo: bool, workers: u32, database_given: bool) -> Result<()> {
    let mut login = None;
    if demo {
        if !database_given {
            let path = "relais-demo.db";
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
            cfg.database = format!("sqlite://{path}");
        }
        let db = open(&cfg).await?;
        let mut tx = db.read().await?;
        let users = relais_store::users::count(&mut tx).await?;
        drop(tx);
        if users > 0 {
            bail!(
                "--demo needs an empty database, and {} has users",
                config::redact(&cfg.database)
            );
        }
        eprintln!("filling the demo database...");
        relais_core::demo::fill(&db, 300, 1).await.map_err(core)?;
        let password = relais_core::auth::new_secret("")?
            .chars()
            .take(16)
            .collect::<String>();
        let draft = relais_core::users::UserDraft {
            email: "admin@relais.demo".into(),
            name: "Admin".into(),
            role: "admin".into(),
            team_id: None,
            password: Some(password.clone()),
        };
        relais_core::users::create(&db, &Actor::SYSTEM, draft)
            .await
            .map_err(core)?;
        db.close().await;
        login = Some(("admin@relais.demo", password));
    }
    let db = open(&cfg).await?;
    let state = relais_web::AppState::new(db.clone(), cfg.secure_cookies);
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    println!(
        "Relais is running at http://{addr}/ (database {})",
        config::redact(&cfg.database)
    );
    if let Some((email, password)) = login {
        println!("Sign in as {email} with the password {password}");
    }
    let limits = relais_web::Limits {
        attachment_max_bytes: cfg.attachment_max_bytes,
        import_undo_days: cfg.import_undo_days,
    };
    // The client's address reaches the handlers: the sign-in throttle counts by address.
    let app = relais_web::app_with(state, limits)
        .into_make_service_with_connect_info::<relais_web::listener::ClientAddr>();
    let (stop, _) = tokio::sync::watch::channel(false);
    let handles = start_workers(&db, &cfg, workers, chrono::Duration::seconds(30), &stop);
    axum::serve(relais_web::listener::ProblemListener(listener), app)
        .with_graceful_shutdown(shutdown())
        .await
        .context("server error")?;
    let _ = stop.send(true);
    for h in handles {
        let _ = h.await;
    }
    db.close().await;
    Ok(())
}

/// Stops on Ctrl-C or SIGTERM (service managers), letting requests in flight finish.
async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
