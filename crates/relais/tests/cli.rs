//! The `relais` binary as a user runs it: each test works in its own temporary folder with its
//! own SQLite file, runs the built binary, and reads what it prints and what it leaves behind.
//! One test runs import and export on PostgreSQL when `RELAIS_TEST_POSTGRES_URL` is set.
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_relais");
/// The password every test user gets (at least 12 characters).
const PASSWORD: &str = "correct horse battery";

/// A temporary folder to run `relais` in, with `a.db` as the default database.
struct Folder {
    dir: tempfile::TempDir,
}

impl Folder {
    fn new() -> Folder {
        Folder {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn url(&self, name: &str) -> String {
        format!("sqlite://{}", self.path(name).display())
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).expect("write a test file");
        path
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// `relais [--database <database>] <args>`, in this folder, untouched by the caller's
    /// environment and configuration.
    fn command(&self, database: Option<&str>, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(self.dir.path())
            .env_remove("RELAIS_DATABASE")
            .env_remove("RELAIS_CONFIG")
            .env_remove("RELAIS_LISTEN")
            .env_remove("RELAIS_LOG")
            .stdin(Stdio::null());
        if let Some(url) = database {
            c.arg("--database").arg(url);
        }
        c.args(args);
        c
    }

    fn run_on(&self, database: &str, args: &[&str]) -> Output {
        self.command(Some(database), args)
            .output()
            .expect("run relais")
    }

    /// Runs a command on `a.db` that must succeed; returns its standard output.
    fn ok(&self, args: &[&str]) -> String {
        ok(self.run_on(&self.url("a.db"), args), args)
    }

    /// Runs a command on `a.db` that must fail; returns its one-line reason.
    fn fails(&self, args: &[&str]) -> String {
        fails(self.run_on(&self.url("a.db"), args), args)
    }

    /// `relais user add` on `a.db`, the password on standard input.
    fn add_user(&self, email: &str, role: &str) -> Output {
        self.add_user_on(&self.url("a.db"), email, role)
    }

    fn add_user_on(&self, database: &str, email: &str, role: &str) -> Output {
        let mut child = self
            .command(
                Some(database),
                &[
                    "user",
                    "add",
                    "--email",
                    email,
                    "--name",
                    "Test User",
                    "--role",
                    role,
                    "--password-stdin",
                ],
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run relais user add");
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{PASSWORD}").expect("write the password");
        drop(stdin);
        child.wait_with_output().expect("relais user add")
    }

    /// The people of a database as `relais export people --format csv` writes them.
    fn people(&self, database: &str) -> Csv {
        let args = ["export", "people", "--format", "csv"];
        Csv::parse(&ok(self.run_on(database, &args), &args))
    }
}

fn ok(out: Output, args: &[&str]) -> String {
    assert!(
        out.status.success(),
        "relais {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// A failure is a non-zero exit with exactly one line on standard error, and nothing on
/// standard output.
fn fails(out: Output, args: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "relais {args:?} should have failed; it printed {}{stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: one line expected: {stderr}");
    assert!(lines[0].starts_with("relais: "), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{args:?}");
    lines[0].to_string()
}

/// A CSV export: the header and the rows, the BOM removed.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn parse(text: &str) -> Csv {
        let text = text.strip_prefix('\u{feff}').expect("a BOM for Excel");
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let header = r
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        let rows = r
            .records()
            .map(|rec| rec.expect("CSV row").iter().map(String::from).collect())
            .collect();
        Csv { header, rows }
    }

    fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }

    /// The rows as maps from column to value, without the columns that differ from one
    /// database to another (ids and timestamps), sorted.
    fn content(&self) -> Vec<BTreeMap<String, String>> {
        let mut rows: Vec<BTreeMap<String, String>> = self
            .rows
            .iter()
            .map(|row| {
                self.header
                    .iter()
                    .cloned()
                    .zip(row.iter().cloned())
                    .filter(|(h, _)| !["ID", "Created", "Updated"].contains(&h.as_str()))
                    .collect()
            })
            .collect();
        rows.sort();
        rows
    }

    fn names(&self) -> Vec<String> {
        let (first, last) = (self.column("First Name"), self.column("Last Name"));
        let mut names: Vec<String> = self
            .rows
            .iter()
            .map(|r| format!("{} {}", r[first], r[last]).trim().to_string())
            .collect();
        names.sort();
        names
    }
}

/// `relais serve` running in the background; killed when dropped.
struct Server {
    child: Child,
    /// `127.0.0.1:PORT`, as the server printed it.
    addr: String,
    /// What it printed on standard output before it was ready.
    printed: Vec<String>,
}

impl Server {
    /// Starts `relais serve` on a free port and waits until it answers.
    fn start(folder: &Folder, database: Option<&str>, extra: &[&str]) -> Server {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let log = std::fs::File::create(folder.path("serve.log")).expect("server log");
        let mut child = folder
            .command(database, &args)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start relais serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut printed = Vec::new();
        let addr = loop {
            match rx.recv_timeout(Duration::from_secs(120)) {
                Ok(line) => {
                    let addr = line
                        .split_once("http://")
                        .and_then(|(_, rest)| rest.split('/').next())
                        .map(str::to_string);
                    printed.push(line);
                    if let Some(addr) = addr {
                        break addr;
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "relais serve printed no URL: {printed:?}\n{}",
                        folder.read("serve.log")
                    );
                }
            }
        };
        // What follows the URL comes at once (the demo login).
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(300)) {
            printed.push(line);
        }
        let server = Server {
            child,
            addr,
            printed,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.get("/healthz", &[]).0 != 200 {
            assert!(Instant::now() < deadline, "/healthz never answered");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        http(&self.addr, method, path, headers, body)
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let r = self.request("GET", path, headers, None);
        (r.status, r.body)
    }

    /// Stops the server as a service manager does (SIGTERM) and returns how it exited.
    fn terminate(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for relais serve") {
                return status;
            }
            assert!(Instant::now() < deadline, "relais serve ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

struct Response {
    status: u16,
    /// Header lines, names in lowercase.
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One HTTP/1.1 request on its own connection (`Connection: close`): enough for a smoke test,
/// no client library needed.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect to relais serve");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or(""));
    stream.write_all(req.as_bytes()).expect("send the request");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read the response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_string(),
    }
}

/// A French Excel export: Windows-1252, `;`, French headers, CRLF. Élodie and Nino are fine;
/// Amélie's e-mail is not an e-mail address.
const FRENCH_EXCEL: &[u8] =
    b"Pr\xe9nom;Nom;E-mail;T\xe9l\xe9phone portable;Soci\xe9t\xe9;Notes\r\n\
\xc9lodie;Martin;elodie@example.fr;06 12 34 56 78;Les Deux Moulins;Cliente fid\xe8le\r\n\
Nino;Quincampoix;nino@example.fr;;;\r\n\
Am\xe9lie;Poulain;pas-un-email;;;\r\n";

#[test]
fn an_unknown_database_scheme_is_a_one_line_error_naming_it() {
    let f = Folder::new();
    let url = "mysql://crm:s3cret@db.example/crm";
    for args in [&["user", "list"][..], &["export", "people"], &["serve"]] {
        let reason = fails(f.run_on(url, args), args);
        assert!(reason.contains("'mysql'"), "{args:?}: {reason}");
        assert!(
            !reason.contains("s3cret"),
            "the password must not be printed: {reason}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(f.dir.path()).unwrap().collect();
    assert!(left.is_empty(), "never a new empty database: {left:?}");
}

#[test]
fn users_are_added_and_listed_and_a_wrong_one_is_refused_with_its_reason() {
    let f = Folder::new();
    let out = f.add_user("camille@example.fr", "sales");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = f.ok(&["user", "list"]);
    assert_eq!(
        list, "camille@example.fr\tTest User\tsales\tactive\n",
        "one user, as added"
    );

    let reason = fails(f.add_user("dominique@example.fr", "boss"), &["user", "add"]);
    assert!(reason.contains("'boss' is not one of"), "{reason}");
    for role in ["admin", "sales", "read-only"] {
        assert!(reason.contains(role), "the valid roles are named: {reason}");
    }

    let reason = fails(f.add_user("camille@example.fr", "admin"), &["user", "add"]);
    assert!(reason.contains("already exists"), "{reason}");
    let reason = f.fails(&[
        "user",
        "add",
        "--email",
        "pas-un-email",
        "--name",
        "X",
        "--role",
        "sales",
    ]);
    assert!(reason.contains("email"), "{reason}");
    assert_eq!(f.ok(&["user", "list"]), list, "nothing else was added");
}

#[test]
fn a_token_is_printed_alone_once_and_opens_the_api_until_sigterm_stops_the_server() {
    let f = Folder::new();
    assert!(f.add_user("camille@example.fr", "sales").status.success());
    let out = f.ok(&["token", "create", "--user", "camille@example.fr"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "only the token: {out}");
    let token = lines[0];
    assert!(token.len() >= 40 && !token.contains(' '), "{token}");
    let again = f.ok(&["token", "create", "--user", "camille@example.fr"]);
    assert_ne!(again.trim(), token, "a new token each time");
    let reason = f.fails(&["token", "create", "--user", "nobody@example.fr"]);
    assert!(reason.contains("nobody@example.fr"), "{reason}");

    let server = Server::start(&f, Some(&f.url("a.db")), &[]);
    let me = server.request(
        "GET",
        "/api/v1/me",
        &[("Authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["email"], "camille@example.fr");
    let forged = format!("Bearer {}x", token);
    let (status, _) = server.get("/api/v1/me", &[("Authorization", &forged)]);
    assert_eq!(status, 401);
    let status = server.terminate();
    assert!(status.success(), "a graceful stop on SIGTERM: {status:?}");
}

#[test]
fn a_french_excel_file_is_imported_once_and_a_dry_run_writes_nothing() {
    let f = Folder::new();
    f.write("contacts.csv", FRENCH_EXCEL);

    let dry = f.ok(&["import", "people", "contacts.csv", "--dry-run"]);
    assert!(
        dry.starts_with("2 would be created, 0 would be updated"),
        "{dry}"
    );
    assert!(dry.contains("1 rejected"), "{dry}");
    assert!(
        f.people(&f.url("a.db")).rows.is_empty(),
        "a dry run writes nothing"
    );

    let first = f.ok(&[
        "import",
        "people",
        "contacts.csv",
        "--errors",
        "rejected.csv",
    ]);
    assert!(first.starts_with("2 created, 0 updated"), "{first}");
    assert!(first.contains("1 rejected"), "{first}");
    assert!(first.contains("(1 companies created)"), "{first}");
    let people = f.people(&f.url("a.db"));
    assert_eq!(people.names(), ["Nino Quincampoix", "Élodie Martin"]);
    let elodie = people
        .rows
        .iter()
        .find(|r| r[people.column("Last Name")] == "Martin")
        .expect("Élodie");
    assert_eq!(elodie[people.column("Company")], "Les Deux Moulins");
    assert_eq!(elodie[people.column("Notes")], "Cliente fidèle");
    assert_eq!(elodie[people.column("E-mail")], "elodie@example.fr");

    let rejected = f.read("rejected.csv");
    let mut lines = rejected.lines();
    assert_eq!(
        lines.next(),
        Some("line,reason,Prénom,Nom,E-mail,Téléphone portable,Société,Notes")
    );
    let amelie = lines.next().expect("the rejected row");
    assert!(
        amelie.starts_with("4,emails[0].address: 'pas-un-email' is not a valid e-mail address"),
        "{amelie}"
    );
    assert!(amelie.contains("Amélie,Poulain"), "{amelie}");
    assert_eq!(lines.next(), None);

    let second = f.ok(&["import", "people", "contacts.csv"]);
    assert!(second.starts_with("0 created, 0 updated"), "{second}");
    assert!(second.contains("2 skipped as duplicates"), "{second}");
    assert_eq!(
        f.people(&f.url("a.db")).content(),
        people.content(),
        "the same file twice changes nothing"
    );
}

#[test]
fn unreadable_rows_are_rejected_with_their_reason_and_leave_nothing_of_themselves() {
    let f = Folder::new();
    // Invalid UTF-8 after the 64 KiB the importer samples: the file was read as UTF-8.
    let mut late = b"Prenom;Nom;E-mail\n".to_vec();
    late.extend(std::iter::repeat_n(b'\n', 70_000));
    late.extend_from_slice(b"Marie;Curie;marie@example.fr\nCaf\xe9;Bad;bad@example.fr\n");
    f.write("late.csv", late);
    let out = f.ok(&[
        "import",
        "people",
        "late.csv",
        "--errors",
        "late-rejected.csv",
    ]);
    assert!(out.starts_with("1 created"), "{out}");
    assert!(out.contains("1 rejected"), "{out}");
    let rejected = f.read("late-rejected.csv");
    assert!(
        rejected.contains("70003,invalid UTF-8 in column Prenom,"),
        "{rejected}"
    );

    // Bytes that are not text in Windows-1252 either (control characters).
    f.write(
        "control.csv",
        b"Prenom;Nom;E-mail\nJean;Mou\x81lin;jean@example.fr\n",
    );
    let out = f.ok(&[
        "import",
        "people",
        "control.csv",
        "--errors",
        "c-rejected.csv",
    ]);
    assert!(out.starts_with("0 created"), "{out}");
    assert!(
        f.read("c-rejected.csv")
            .contains("2,last_name: contains control characters"),
        "{}",
        f.read("c-rejected.csv")
    );

    // A file cut inside a quoted field.
    f.write(
        "truncated.csv",
        "Nom;Notes\nLovelace;ok\nDupont;\"commence\nsans fin\n",
    );
    let out = f.ok(&[
        "import",
        "people",
        "truncated.csv",
        "--errors",
        "t-rejected.csv",
    ]);
    assert!(out.starts_with("1 created"), "{out}");
    assert!(out.contains("1 rejected"), "{out}");
    let rejected = f.read("t-rejected.csv");
    assert!(
        rejected.contains("3,unterminated quoted field: the file ends inside quotes"),
        "{rejected}"
    );

    assert_eq!(
        f.people(&f.url("a.db")).names(),
        ["Lovelace", "Marie Curie"],
        "only the good rows were written"
    );

    // What cannot be read at all is refused as a whole, naming the file and the problem.
    f.write("header.csv", "Nom;\"Notes\nDupont;x\n");
    let reason = f.fails(&["import", "people", "header.csv"]);
    assert!(
        reason.contains("header.csv") && reason.contains("unterminated quoted field"),
        "{reason}"
    );
    f.write("unknown.csv", "Foo;Bar\n1;2\n");
    let reason = f.fails(&["import", "people", "unknown.csv"]);
    assert!(reason.contains("no column is recognised"), "{reason}");
    let reason = f.fails(&["import", "people", "missing.csv"]);
    assert!(reason.contains("missing.csv"), "{reason}");
    assert_eq!(f.people(&f.url("a.db")).rows.len(), 2, "nothing more");
}

#[test]
fn an_export_neutralises_formulas_and_speaks_vcard() {
    let f = Folder::new();
    f.write(
        "formulas.csv",
        "Prénom;Nom;E-mail;Notes\nNino;Quincampoix;nino@example.fr;=cmd|' /C calc'!A0\n",
    );
    assert!(
        f.ok(&["import", "people", "formulas.csv"])
            .starts_with("1 created")
    );

    f.ok(&[
        "export",
        "people",
        "--format",
        "csv",
        "--output",
        "people.csv",
    ]);
    let csv = Csv::parse(&f.read("people.csv"));
    assert_eq!(csv.rows.len(), 1);
    assert_eq!(
        csv.rows[0][csv.column("Notes")],
        "'=cmd|' /C calc'!A0",
        "a spreadsheet must not run it"
    );

    let vcard = f.ok(&["export", "people", "--format", "vcard"]);
    assert!(vcard.starts_with("BEGIN:VCARD"), "{vcard}");
    assert_eq!(vcard.matches("BEGIN:VCARD").count(), 1);
    assert!(vcard.contains("FN:Nino Quincampoix"), "{vcard}");
    assert!(vcard.contains("EMAIL:nino@example.fr"), "{vcard}");
    assert!(vcard.trim_end().ends_with("END:VCARD"), "{vcard}");

    // Every kind of record exports as CSV; an unknown kind is named with those there are.
    let tasks = f.ok(&["export", "tasks"]);
    assert!(tasks.contains("ID,title,notes,due_at,done"), "{tasks}");
    let err = f.fails(&["export", "deals"]);
    assert!(
        err.contains("'deals' is not a kind of record that can be exported")
            && err.contains("people, companies, interactions, tasks"),
        "{err}"
    );
    let err = f.fails(&["export", "companies", "--format", "vcard"]);
    assert!(err.contains("exported as CSV"), "{err}");
}

#[test]
fn a_vcard_3_file_from_a_phone_is_imported_once() {
    let f = Folder::new();
    f.write(
        "contacts.vcf",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Martin;Élodie;;;\r\nFN:Élodie Martin\r\n\
         ORG:Les Deux Moulins\r\nTEL;TYPE=CELL:06 12 34 56 78\r\n\
         EMAIL;TYPE=INTERNET:elodie@example.fr\r\nEND:VCARD\r\n\
         BEGIN:VCARD\r\nVERSION:3.0\r\nN:Poulain;Amélie;;;\r\nFN:Amélie Poulain\r\n\
         EMAIL:amelie@example.fr\r\nBDAY:1974-03-15\r\nEND:VCARD\r\n\
         BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Raymond Dufayel\r\nEMAIL:raymond@example\r\nEND:VCARD\r\n",
    );
    let out = f.ok(&[
        "import",
        "vcard",
        "contacts.vcf",
        "--errors",
        "rejected.csv",
    ]);
    assert!(out.starts_with("2 created"), "{out}");
    assert!(out.contains("1 rejected"), "{out}");
    let rejected = f.read("rejected.csv");
    let lines: Vec<&str> = rejected.lines().collect();
    assert_eq!(lines[0], "card,reason", "{rejected}");
    assert!(
        lines[1].starts_with("3,emails[0].address: 'raymond@example'"),
        "{rejected}"
    );

    let people = f.people(&f.url("a.db"));
    assert_eq!(people.names(), ["Amélie Poulain", "Élodie Martin"]);
    let row = |last: &str| {
        people
            .rows
            .iter()
            .find(|r| r[people.column("Last Name")] == last)
            .unwrap_or_else(|| panic!("{last}"))
            .clone()
    };
    assert_eq!(row("Poulain")[people.column("Birthday")], "1974-03-15");
    assert_eq!(row("Martin")[people.column("Company")], "Les Deux Moulins");
    assert_eq!(
        row("Martin")[people.column("Mobile Phone")],
        "'+33612345678",
        "E.164 (neutralised for spreadsheets: it starts with +)"
    );

    let again = f.ok(&["import", "vcard", "contacts.vcf"]);
    assert!(again.starts_with("0 created"), "{again}");
    assert!(again.contains("2 skipped as duplicates"), "{again}");
}

#[test]
fn a_backup_taken_while_the_server_runs_is_a_database_with_the_same_people() {
    let f = Folder::new();
    f.ok(&["demo", "--people", "12", "--seed", "3"]);
    assert!(f.add_user("camille@example.fr", "sales").status.success());
    let token = f.ok(&["token", "create", "--user", "camille@example.fr"]);
    let server = Server::start(&f, Some(&f.url("a.db")), &[]);
    // A write through the running server, then the copy.
    let created = server.request(
        "POST",
        "/api/v1/people",
        &[("Authorization", &format!("Bearer {}", token.trim()))],
        Some(r#"{"first_name": "Amandine", "last_name": "Poulain"}"#),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(created.header("etag").is_some());

    let out = f.run_on(&f.url("a.db"), &["backup", "copy.db"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("copy.db"), "{stderr}");

    let original = f.people(&f.url("a.db"));
    let copy = f.people(&f.url("copy.db"));
    assert_eq!(copy.rows.len(), 13);
    assert_eq!(copy.rows, original.rows, "the same people, ids and all");
    assert!(copy.names().contains(&"Amandine Poulain".to_string()));

    let reason = f.fails(&["backup", "copy.db"]);
    assert!(reason.contains("already exists"), "{reason}");
    drop(server);
}

#[test]
fn serve_demo_prints_an_admin_login_that_signs_in() {
    let f = Folder::new();
    // Without --database: a fresh relais-demo.db in the working folder.
    f.write("relais-demo.db", "an old demo, replaced");
    let server = Server::start(&f, None, &["--demo"]);
    let login = server
        .printed
        .iter()
        .find_map(|l| l.strip_prefix("Sign in as "))
        .unwrap_or_else(|| panic!("no login printed: {:?}", server.printed));
    let (email, password) = login
        .split_once(" with the password ")
        .unwrap_or_else(|| panic!("{login}"));
    let body = serde_json::json!({"email": email, "password": password}).to_string();
    let session = server.request("POST", "/api/v1/session", &[], Some(&body));
    assert_eq!(session.status, 200, "{}", session.body);
    assert_eq!(session.json()["user"]["role"], "admin");
    let cookie = session
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let (status, people) = server.get("/api/v1/people?limit=5", &[("Cookie", &cookie)]);
    assert_eq!(status, 200, "{people}");
    let people: serde_json::Value = serde_json::from_str(&people).unwrap();
    assert_eq!(
        people["items"].as_array().map(Vec::len),
        Some(5),
        "demo data"
    );
    let wrong = serde_json::json!({"email": email, "password": "not the password"}).to_string();
    let refused = server.request("POST", "/api/v1/session", &[], Some(&wrong));
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(server.terminate().success());

    // Named with --database, a database that has users is not filled again.
    let args = ["serve", "--demo", "--listen", "127.0.0.1:0"];
    let reason = fails(f.run_on(&f.url("relais-demo.db"), &args), &args);
    assert!(
        reason.contains("--demo needs an empty database"),
        "{reason}"
    );
}

#[test]
fn demo_data_is_the_same_for_the_same_seed() {
    let f = Folder::new();
    let fill = |db: &str, seed: &str| {
        let args = ["demo", "--people", "50", "--seed", seed];
        let out = f.run_on(&f.url(db), &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        f.people(&f.url(db))
    };
    let one = fill("one.db", "7");
    let two = fill("two.db", "7");
    let other = fill("other.db", "8");
    assert_eq!(one.rows.len(), 50);
    assert_eq!(one.content(), two.content());
    assert_ne!(one.content(), other.content());
}

/// Import and export on a fresh PostgreSQL database, when `RELAIS_TEST_POSTGRES_URL` is set
/// (the test script drops the `relais_t_%` databases after the run).
#[test]
fn import_and_export_work_on_postgresql_too() {
    let Some(pg) = PgDatabase::new() else {
        return;
    };
    let url = pg.url.clone();

    let f = Folder::new();
    f.write("contacts.csv", FRENCH_EXCEL);
    let args = ["import", "people", "contacts.csv"];
    let first = ok(f.run_on(&url, &args), &args);
    assert!(first.starts_with("2 created"), "{first}");
    let second = ok(f.run_on(&url, &args), &args);
    assert!(second.starts_with("0 created"), "{second}");
    let people = f.people(&url);
    assert_eq!(people.names(), ["Nino Quincampoix", "Élodie Martin"]);

    // The same file gives the same people on SQLite.
    let sqlite = f.url("a.db");
    ok(f.run_on(&sqlite, &args), &args);
    assert_eq!(people.content(), f.people(&sqlite).content());

    let vcf = ["export", "people", "--format", "vcard"];
    let vcard = ok(f.run_on(&url, &vcf), &vcf);
    assert_eq!(vcard.matches("BEGIN:VCARD").count(), 2);
}

/// An address too long for the server to read is refused with a problem, as every other
/// error of the API is, not with hyper's empty answer; the server goes on answering.
#[test]
fn an_address_too_long_is_answered_with_a_problem() {
    let f = Folder::new();
    let server = Server::start(&f, Some(&f.url("a.db")), &[]);
    let long = format!("/api/v1/people?q={}", "a".repeat(100_000));
    let r = server.request("GET", &long, &[], None);
    assert_eq!(r.status, 414, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let p = r.json();
    assert_eq!(p["status"], 414);
    assert_eq!(p["type"], "/problems/uri-too-long");
    assert_eq!(server.get("/healthz", &[]).0, 200);
}

/// A fresh PostgreSQL database through `RELAIS_TEST_POSTGRES_URL`, dropped after the test
/// (and by the test script, should the test die first); `None` when that half is skipped.
struct PgDatabase {
    base: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn new() -> Option<PgDatabase> {
        let base = relais_testkit::postgres_url()?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_nanos();
        let name = format!("relais_t_cli_{}_{nanos}", std::process::id());
        let (server, _) = base.rsplit_once('/').expect("a database in the URL");
        let url = format!("{server}/{name}");
        let db = PgDatabase { base, name, url };
        db.psql(&format!("CREATE DATABASE {}", db.name));
        Some(db)
    }

    fn psql(&self, sql: &str) {
        let out = Command::new("psql")
            .args([self.base.as_str(), "-qc", sql])
            .output()
            .expect("psql");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        self.psql(&format!("DROP DATABASE {} WITH (FORCE)", self.name));
    }
}

/// The API answers as its OpenAPI document says, under schemathesis (PyPI, installed by
/// scripts/test): every operation, with examples, the coverage of each parameter's edges,
/// fuzzing and stateful sequences along the document's links; bounded and seeded, so a run
/// is repeatable. What schemathesis is told beyond its defaults, and why, is in
/// tests/api/schemathesis.toml.
#[test]
fn the_api_answers_exactly_as_its_openapi_document_says() {
    let f = Folder::new();
    schemathesis(&f, &f.url("a.db"));
}

#[test]
fn the_api_answers_exactly_as_its_openapi_document_says_on_postgresql() {
    let Some(pg) = PgDatabase::new() else {
        return;
    };
    schemathesis(&Folder::new(), &pg.url);
}

fn schemathesis(f: &Folder, database: &str) {
    let st = which_schemathesis();
    let args = ["demo", "--people", "30", "--seed", "1"];
    ok(f.run_on(database, &args), &args);
    let added = f.add_user_on(database, "fuzz@example.com", "admin");
    ok(added, &["user", "add"]);
    let args = ["token", "create", "--user", "fuzz@example.com"];
    let token = ok(f.run_on(database, &args), &args).trim().to_string();
    let server = Server::start(f, Some(database), &[]);
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/schemathesis.toml");
    let out = Command::new(st)
        .current_dir(f.path(""))
        .args(["--no-color", "--config-file", config, "run"])
        .arg(format!("http://{}/api/v1/openapi.json", server.addr))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--max-examples", "25", "--seed", "1", "--workers", "2"])
        .args(["--continue-on-failure", "--max-failures", "50"])
        .output()
        .expect("run schemathesis");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found the API and its document disagree:\n{printed}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        f.read("serve.log")
    );
    assert!(
        printed.contains("Tested: ") && !printed.contains("Tested: 0"),
        "schemathesis tested nothing:\n{printed}"
    );
}

/// schemathesis's `st`, from `RELAIS_SCHEMATHESIS`, the PATH or pip's user folder; missing,
/// the test fails (scripts/test installs it), since a test that did not run must not pass.
fn which_schemathesis() -> PathBuf {
    let candidates = std::env::var_os("RELAIS_SCHEMATHESIS")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            std::env::var_os("PATH")
                .into_iter()
                .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
                .map(|dir| dir.join("st")),
        )
        .chain(std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/bin/st")));
    for c in candidates {
        if c.is_file() {
            return c;
        }
    }
    panic!(
        "schemathesis is not installed: scripts/test installs it (pip install --user \
         schemathesis), or set RELAIS_SCHEMATHESIS to its `st`"
    )
}

#[test]
fn the_default_database_is_a_file_in_the_working_folder() {
    let f = Folder::new();
    let args = ["user", "list"];
    let out = f.command(None, &args).output().expect("run relais");
    assert_eq!(ok(out, &args), "");
    assert!(f.path("relais.db").exists());
}

/// The state of a job, as the API tells it.
fn job(server: &Server, token: &str, id: &str) -> serde_json::Value {
    let r = server.request(
        "GET",
        &format!("/api/v1/jobs/{id}"),
        &[("Authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

#[test]
fn an_import_job_survives_kill_9_of_its_worker_and_is_done_once() {
    let f = Folder::new();
    assert!(f.add_user("camille@example.fr", "admin").status.success());
    let token = f.ok(&["token", "create", "--user", "camille@example.fr"]);
    let token = token.trim();
    // The server runs no job: the worker processes below do.
    let server = Server::start(&f, Some(&f.url("a.db")), &["--workers", "0"]);
    let rows = 30_000;
    let mut csv = String::from("Prénom;Nom;E-mail\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "Jeanne{i};Martin{i};jeanne.martin{i}@example.com\n"
        ));
    }
    let posted = server.request(
        "POST",
        "/api/v1/imports?kind=people",
        &[("Authorization", &format!("Bearer {token}"))],
        Some(&csv),
    );
    assert_eq!(posted.status, 202, "{}", posted.body);
    let id = posted.json()["id"].as_str().unwrap().to_string();
    assert_eq!(job(&server, token, &id)["status"], "queued");

    let worker = |log: &str| {
        f.command(Some(&f.url("a.db")), &["worker", "--lease-seconds", "2"])
            .stderr(std::fs::File::create(f.path(log)).expect("worker log"))
            .spawn()
            .expect("start relais worker")
    };
    let mut first = worker("worker1.log");
    let deadline = Instant::now() + Duration::from_secs(60);
    while job(&server, token, &id)["status"] != "running" {
        assert!(Instant::now() < deadline, "{}", f.read("worker1.log"));
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(800));
    first.kill().expect("kill -9 the worker");
    first.wait().expect("the worker is gone");
    let j = job(&server, token, &id);
    assert_eq!(j["status"], "running", "killed mid-run: {j}");
    // It wrote in short batches: some are there, not all.
    let partial = f.people(&f.url("a.db")).rows.len();
    assert!(partial < rows, "killed before the end: {partial}");

    let mut second = worker("worker2.log");
    let deadline = Instant::now() + Duration::from_secs(300);
    let j = loop {
        let j = job(&server, token, &id);
        if j["status"] != "running" && j["status"] != "queued" {
            break j;
        }
        assert!(Instant::now() < deadline, "{}", f.read("worker2.log"));
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = second.kill();
    let _ = second.wait();
    assert_eq!(j["status"], "succeeded", "{j}");
    assert_eq!(j["attempts"], 2);
    assert_eq!(j["result"]["created"], rows);
    assert_eq!(f.people(&f.url("a.db")).rows.len(), rows, "each row once");
}
