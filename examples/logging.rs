//! The first ancestor's `Log` utility: records go to the terminal and to a file, and
//! alerts are also sent as mail — over SMTP, spoken by hand on a wakeful `TcpStream`.
//!
//! ```text
//! python3 -m aiosmtpd -n -c aiosmtpd.handlers.Debugging -l 127.0.0.1:8025 &
//! cargo run --example logging -- --file /tmp/app.log --smtp 127.0.0.1:8025 --to ops@example.com
//! ```
//!
//! The program logs a few records and raises one alert. Mail delivery never blocks the
//! runtime and cannot hang it: the SMTP exchange runs under a timeout, and a failure
//! to deliver is itself logged (to terminal and file), never lost silently.
//!
//! The log file is written with std's blocking file API: local appends of a line are
//! short, and wakeful (like the epoll it sits on) has no async regular-file I/O.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wakeful::io::{AsyncBufReadExt, BufReader};
use wakeful::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use wakeful::net::TcpStream;
use wakeful::time::timeout;

/// How long one mail may take, connection included.
const MAIL_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug)]
enum Level {
    Info,
    Warn,
    Alert,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Alert => "ALERT",
        })
    }
}

/// Where alerts are mailed.
struct Mail {
    server: String,
    from: String,
    to: String,
}

/// Logs to stderr, optionally to a file, and mails alerts.
struct Log {
    file: Option<File>,
    mail: Option<Mail>,
}

impl Log {
    fn record(&mut self, level: Level, message: &str) {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        let line = format!("{secs:.3} {level} {message}\n");
        eprint!("{line}");
        if let Some(file) = &mut self.file {
            if let Err(err) = file.write_all(line.as_bytes()) {
                eprintln!("logging: cannot write the log file: {err}");
            }
        }
    }

    fn info(&mut self, message: &str) {
        self.record(Level::Info, message);
    }

    fn warn(&mut self, message: &str) {
        self.record(Level::Warn, message);
    }

    /// Logs, then mails the alert; a failed delivery is logged too.
    async fn alert(&mut self, message: &str) {
        self.record(Level::Alert, message);
        let Some(mail) = &self.mail else { return };
        let delivery = timeout(MAIL_TIMEOUT, send_mail(mail, &format!("ALERT: {message}"), message)).await;
        let failure = match delivery {
            Ok(Ok(())) => return,
            Ok(Err(err)) => err.to_string(),
            Err(_) => format!("no answer within {MAIL_TIMEOUT:?}"),
        };
        let server = mail.server.clone();
        self.warn(&format!("could not mail the alert through {server}: {failure}"));
    }
}

/// One SMTP transaction (RFC 5321): greeting, EHLO, MAIL, RCPT, DATA, QUIT.
async fn send_mail(mail: &Mail, subject: &str, body: &str) -> io::Result<()> {
    let stream = TcpStream::connect(mail.server.as_str()).await?;
    let (read, mut write) = stream.into_split();
    let mut replies = BufReader::new(read);
    expect(&mut replies, 220).await?;
    command(&mut write, &mut replies, "EHLO wakeful.localhost", 250).await?;
    command(&mut write, &mut replies, &format!("MAIL FROM:<{}>", mail.from), 250).await?;
    command(&mut write, &mut replies, &format!("RCPT TO:<{}>", mail.to), 250).await?;
    command(&mut write, &mut replies, "DATA", 354).await?;
    let mut message = format!("From: <{}>\r\nTo: <{}>\r\nSubject: {subject}\r\n\r\n", mail.from, mail.to);
    for line in body.lines() {
        // Dot-stuffing: a line starting with '.' gets another, so it cannot end DATA.
        let stuffed = if line.starts_with('.') { "." } else { "" };
        message.push_str(&format!("{stuffed}{line}\r\n"));
    }
    message.push_str(".\r\n");
    write.write_all(message.as_bytes()).await?;
    expect(&mut replies, 250).await?;
    command(&mut write, &mut replies, "QUIT", 221).await
}

async fn command(
    write: &mut OwnedWriteHalf,
    replies: &mut BufReader<OwnedReadHalf>,
    line: &str,
    code: u16,
) -> io::Result<()> {
    write.write_all(format!("{line}\r\n").as_bytes()).await?;
    expect(replies, code).await
}

/// Reads one (possibly multi-line) reply and checks its code.
async fn expect(replies: &mut BufReader<OwnedReadHalf>, code: u16) -> io::Result<()> {
    loop {
        let mut line = String::new();
        if replies.read_line(&mut line).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the SMTP server closed the connection",
            ));
        }
        let got: Option<u16> = line.get(..3).and_then(|c| c.parse().ok());
        if got != Some(code) {
            return Err(io::Error::other(format!("expected SMTP {code}, got {:?}", line.trim_end())));
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(()); // "250 ok" ends the reply; "250-..." continues it
        }
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut file, mut server, mut to, mut from) =
        (None::<PathBuf>, None, None, "wakeful@localhost".to_string());
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--file", Some(value)) => file = Some(value.into()),
            ("--smtp", Some(value)) => server = Some(value),
            ("--to", Some(value)) => to = Some(value),
            ("--from", Some(value)) => from = value,
            _ => {
                eprintln!("usage: logging [--file PATH] [--smtp HOST:PORT --to ADDRESS [--from ADDRESS]]");
                return ExitCode::from(2);
            }
        }
    }
    let file =
        match file.map(|path| OpenOptions::new().create(true).append(true).open(&path).map(|f| (f, path))) {
            Some(Ok((file, _))) => Some(file),
            Some(Err(err)) => {
                eprintln!("logging: cannot open the log file: {err}");
                return ExitCode::FAILURE;
            }
            None => None,
        };
    let mail = match (server, to) {
        (Some(server), Some(to)) => Some(Mail { server, from, to }),
        (None, None) => None,
        _ => {
            eprintln!("logging: --smtp and --to go together");
            return ExitCode::from(2);
        }
    };
    let mut log = Log { file, mail };
    wakeful::block_on(async {
        log.info("service starting");
        log.warn("disk 91% full");
        log.alert("disk 99% full: writes will fail soon").await;
        log.info("service running");
    });
    ExitCode::SUCCESS
}
