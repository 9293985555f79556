//! The I/O traits over the public API: generic code over `futures-io` (and tokio's
//! traits with `tokio-io`), `copy`, `BufReader`, `BufWriter`.
#![cfg(feature = "futures-io")]

mod util;

use std::io;
use std::net::Shutdown;

use util::{pattern, run};
use wakeful::io::{
    copy, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, BufWriter,
};
use wakeful::net::{TcpListener, TcpStream, UnixStream};
use wakeful::spawn;

/// Generic over any runtime's stream: echoes one message back.
async fn echo_once<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, len: usize) -> io::Result<()> {
    let mut buf = vec![0; len];
    AsyncReadExt::read_exact(stream, &mut buf).await?;
    AsyncWriteExt::write_all(stream, &buf).await?;
    AsyncWriteExt::flush(stream).await
}

#[test]
fn futures_io_traits_on_tcp_and_unix_streams_and_halves() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;
        let server_task = spawn(async move { echo_once(&mut server, 5).await });
        AsyncWriteExt::write_all(&mut client, b"tcp!!").await?;
        let mut buf = [0; 5];
        AsyncReadExt::read_exact(&mut client, &mut buf).await?;
        assert_eq!(&buf, b"tcp!!");
        server_task.await.unwrap()?;

        let (mut a, b) = UnixStream::pair()?;
        let (mut read, mut write) = b.into_split();
        AsyncWriteExt::write_all(&mut a, b"half").await?;
        AsyncReadExt::read_exact(&mut read, &mut buf[..4]).await?;
        AsyncWriteExt::write_all(&mut write, &buf[..4]).await?;
        AsyncWriteExt::close(&mut write).await?; // shuts down writing
        let mut rest = Vec::new();
        AsyncReadExt::read_to_end(&mut a, &mut rest).await?;
        assert_eq!(rest, b"half");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn copy_moves_every_byte() {
    let data = pattern(500_000, 1);
    let received = run(async {
        let (mut source, mut from) = UnixStream::pair()?;
        let (mut to, mut sink) = UnixStream::pair()?;
        let sent = data.clone();
        let producer = spawn(async move {
            source.write_all(&sent).await?;
            source.shutdown(Shutdown::Write)
        });
        let copier = spawn(async move {
            let copied = copy(&mut from, &mut to).await?;
            to.shutdown(Shutdown::Write)?;
            io::Result::Ok(copied)
        });
        let mut received = Vec::new();
        sink.read_to_end(&mut received).await?;
        producer.await.unwrap()?;
        assert_eq!(copier.await.unwrap()?, data.len() as u64);
        io::Result::Ok(received)
    })
    .unwrap();
    assert!(received == data);
}

#[test]
fn buf_reader_reads_lines_and_rejects_bad_utf8() {
    run(async {
        let (mut a, b) = UnixStream::pair()?;
        a.write_all(b"one\ntwo\n\xff\xfe\nlast without newline").await?;
        a.shutdown(Shutdown::Write)?;
        let mut reader = BufReader::with_capacity(4, b); // smaller than a line
        let mut line = String::new();
        assert_eq!(reader.read_line(&mut line).await?, 4);
        assert_eq!(reader.read_line(&mut line).await?, 4);
        assert_eq!(line, "one\ntwo\n");
        let err = reader.read_line(&mut line).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(line, "one\ntwo\n", "a bad line leaves the string unchanged");
        let mut last = String::new();
        reader.read_line(&mut last).await?;
        assert_eq!(last, "last without newline");
        assert_eq!(reader.read_line(&mut last).await?, 0, "end of stream");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn buf_writer_holds_small_writes_until_flushed() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        let mut writer = BufWriter::new(a);
        for _ in 0..100 {
            AsyncWriteExt::write_all(&mut writer, b"x").await?;
        }
        assert_eq!(writer.buffer().len(), 100);
        let mut buf = [0; 200];
        assert_eq!(b.try_read(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock, "nothing sent yet");
        AsyncWriteExt::flush(&mut writer).await?;
        b.readable().await?;
        assert_eq!(b.try_read(&mut buf)?, 100);
        // A write larger than the buffer goes straight through.
        AsyncWriteExt::write_all(&mut writer, &vec![1; 20_000]).await?;
        assert!(writer.buffer().is_empty());
        io::Result::Ok(())
    })
    .unwrap();
}

#[cfg(feature = "tokio-io")]
#[test]
fn tokio_io_traits_on_streams() {
    run(async {
        let (mut a, b) = UnixStream::pair()?;
        let (mut read, mut write) = b.into_split();
        tokio::io::AsyncWriteExt::write_all(&mut a, b"tokio traits").await?;
        let mut buf = [0; 12];
        tokio::io::AsyncReadExt::read_exact(&mut read, &mut buf).await?;
        assert_eq!(&buf, b"tokio traits");
        tokio::io::AsyncWriteExt::write_all(&mut write, &buf).await?;
        tokio::io::AsyncWriteExt::shutdown(&mut write).await?;
        let mut back = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut a, &mut back).await?;
        assert_eq!(back, b"tokio traits");
        io::Result::Ok(())
    })
    .unwrap();
}
