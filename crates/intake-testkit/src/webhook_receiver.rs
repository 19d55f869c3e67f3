//! A webhook receiver: answers each request with the next status of its script and keeps
//! what it received.

// A test fixture: a failure here is a failed test.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Request {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Request>>>,
}

impl Receiver {
    /// The requests received so far; each is kept before it is answered, so once the
    /// client has its answers they are all here.
    pub fn requests(&self) -> Vec<Request> {
        self.received.lock().unwrap().clone()
    }
}

/// A receiver answering its requests with `statuses`, in order, one connection each.
/// A status of 0 means: read the request and never answer.
pub fn receiver(statuses: &[u16]) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hooks/intake",
        listener.local_addr().unwrap().port()
    );
    let received = Arc::new(Mutex::new(Vec::new()));
    let statuses = statuses.to_vec();
    let kept = Arc::clone(&received);
    // Detached: it waits in `accept` until the test process ends if fewer requests come.
    thread::spawn(move || {
        let mut silent = Vec::new();
        for status in statuses {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let Some(request) = read_request(&stream) else {
                return;
            };
            kept.lock().unwrap().push(request);
            if status == 0 {
                silent.push(stream);
                continue;
            }
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} Scripted\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
            );
        }
        // Hold the silent connections open until the clients give up on them.
        for stream in silent {
            let _ = (&stream).read(&mut [0; 1]);
        }
    });
    Receiver { url, received }
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let mut request = Request {
        request_line: request_line.trim_end().to_owned(),
        headers,
        body: Vec::new(),
    };
    if request
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        let mut stream: &TcpStream = reader.get_ref();
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").ok()?;
    }
    let length: usize = request.header("content-length")?.parse().ok()?;
    request.body = vec![0; length];
    reader.read_exact(&mut request.body).ok()?;
    Some(request)
}
