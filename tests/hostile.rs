//! Requests no honest client sends, written on the wire by hand: a body
//! that declares a length past any route's limit is refused with a JSON
//! 413, and the worker still answers afterwards. The worker refuses a
//! declared length before reading a byte and stops a body without one at
//! the limit (`http::read_body`, unit-tested). Two things only a deployed
//! worker shows: `wrangler dev` drains every request body after the worker
//! answers, so locally a length that lies holds the connection until it is
//! drained (here every declared byte is sent), and its proxy answers a
//! chunked upload with its own 503.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use e2e::api;

use crate::{Journey, World};

pub const JOURNEYS: &[Journey] = &[(
    "hostile::bodies_past_the_limit_are_refused_before_they_are_read",
    bodies_past_the_limit_are_refused_before_they_are_read,
)];

/// How long the worker may take to refuse; an answer that needs the whole
/// declared body never comes within it.
const ANSWER_WAIT: Duration = Duration::from_secs(10);

/// A declared length past every route's limit.
const DECLARED: usize = 1024 * 1024;

/// The routes anyone may post to without credentials.
const OPEN_ROUTES: [&str; 2] = ["/api/quotes", "/api/store/webhooks/gateway"];

fn connect(world: &World) -> TcpStream {
    let url = world.server.url("/");
    let authority = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let stream = TcpStream::connect(authority).unwrap();
    stream.set_read_timeout(Some(ANSWER_WAIT)).unwrap();
    stream
}

/// What came back before the worker closed the connection (or the wait
/// ran out).
fn answer_of(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    while let Ok(read) = stream.read(&mut buffer) {
        if read == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&received).into_owned()
}

fn bodies_past_the_limit_are_refused_before_they_are_read(world: &World) {
    // Goal: a huge body is refused as too large on every open route.
    // Method: declare (and send) a mebibyte; it must be answered 413 with
    // a JSON error.
    for route in OPEN_ROUTES {
        let mut stream = connect(world);
        let head = format!(
            "POST {route} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
             content-length: {DECLARED}\r\nconnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).unwrap();
        // The worker may answer, and close, before all of it is sent.
        let _ = stream.write_all(&vec![b' '; DECLARED]);
        let answer = answer_of(&mut stream);
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "{route} with a declared mebibyte: {answer}"
        );
        assert!(answer.contains("body_too_large"), "{answer}");
    }
    // And the worker still serves.
    assert_eq!(api::get(&world.server.url("/api/health")).status, 200);
}
