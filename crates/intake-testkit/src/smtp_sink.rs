//! An SMTP sink: greets, says yes to everything (or refuses the recipient when told to)
//! and keeps the one message it is sent.

// A test fixture: a failure here is a failed test.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

#[derive(Debug, Default)]
pub struct Session {
    pub helo: String,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message as sent after DATA, dot-stuffing undone, lines joined with CRLF.
    pub data: String,
}

impl Session {
    /// A header of the message, unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self
            .data
            .split("\r\n\r\n")
            .next()?
            .replace("\r\n ", " ")
            .replace("\r\n\t", " ");
        head.split("\r\n").find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    pub fn body(&self) -> &str {
        self.data
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body)
    }
}

pub struct Sink {
    pub port: u16,
    session: mpsc::Receiver<Session>,
}

impl Sink {
    /// The session, once the client has quit.
    pub fn session(&self) -> Session {
        self.session.recv_timeout(Duration::from_secs(10)).unwrap()
    }
}

/// A sink for one SMTP session; `refuse_rcpt` answers RCPT with 550.
pub fn smtp_sink(refuse_rcpt: bool) -> Sink {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut lines = BufReader::new(stream).lines();
        let mut session = Session::default();
        let mut say = |reply: &str| out.write_all(format!("{reply}\r\n").as_bytes()).unwrap();
        say("220 sink.test ESMTP");
        while let Some(Ok(line)) = lines.next() {
            let verb = line
                .split(' ')
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            match verb.as_str() {
                "EHLO" | "HELO" => {
                    session.helo = line[5..].to_owned();
                    say("250 sink.test");
                }
                "MAIL" => {
                    session.mail_from = line.to_owned();
                    say("250 ok");
                }
                "RCPT" if refuse_rcpt => say("550 5.1.1 no such mailbox"),
                "RCPT" => {
                    session.rcpt_to.push(line.to_owned());
                    say("250 ok");
                }
                "DATA" => {
                    say("354 go ahead");
                    let mut data = Vec::new();
                    for line in lines.by_ref() {
                        let line = line.unwrap();
                        if line == "." {
                            break;
                        }
                        data.push(line.strip_prefix('.').map_or(line.clone(), str::to_owned));
                    }
                    session.data = data.join("\r\n");
                    say("250 queued");
                }
                "QUIT" => {
                    say("221 bye");
                    break;
                }
                _ => say("250 ok"),
            }
        }
        let _ = tx.send(session);
    });
    Sink { port, session: rx }
}
