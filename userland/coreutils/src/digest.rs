//! Checksums for `md5sum` and `sha224sum`/`sha256sum`/`sha384sum`/
//! `sha512sum`: the digests (MD5 here, RFC 1321; SHA-2 from the `sha2`
//! crate), their lines, and the lines `-c` checks.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use sha2::Digest;

/// A digest algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algo {
    /// MD5 (`md5sum`).
    Md5,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Algo {
    /// The algorithm of program `name` (`sha256sum` ...).
    pub fn for_program(name: &str) -> Option<Algo> {
        Some(match name {
            "md5sum" => Algo::Md5,
            "sha224sum" => Algo::Sha224,
            "sha256sum" => Algo::Sha256,
            "sha384sum" => Algo::Sha384,
            "sha512sum" => Algo::Sha512,
            _ => return None,
        })
    }

    /// The name in BSD-style lines (`SHA256 (file) = ...`).
    pub fn tag(self) -> &'static str {
        match self {
            Algo::Md5 => "MD5",
            Algo::Sha224 => "SHA224",
            Algo::Sha256 => "SHA256",
            Algo::Sha384 => "SHA384",
            Algo::Sha512 => "SHA512",
        }
    }

    /// Hex digits in a digest.
    pub fn hex_len(self) -> usize {
        match self {
            Algo::Md5 => 32,
            Algo::Sha224 => 56,
            Algo::Sha256 => 64,
            Algo::Sha384 => 96,
            Algo::Sha512 => 128,
        }
    }
}

/// A running digest.
#[derive(Clone)]
pub enum Hasher {
    /// MD5.
    Md5(Md5),
    /// SHA-224.
    Sha224(sha2::Sha224),
    /// SHA-256.
    Sha256(sha2::Sha256),
    /// SHA-384.
    Sha384(sha2::Sha384),
    /// SHA-512.
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// A new digest.
    pub fn new(algo: Algo) -> Hasher {
        match algo {
            Algo::Md5 => Hasher::Md5(Md5::new()),
            Algo::Sha224 => Hasher::Sha224(sha2::Sha224::new()),
            Algo::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Algo::Sha384 => Hasher::Sha384(sha2::Sha384::new()),
            Algo::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        }
    }

    /// Add bytes.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(data),
            Hasher::Sha224(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    /// The digest in lower-case hex.
    pub fn hex(self) -> String {
        let bytes: Vec<u8> = match self {
            Hasher::Md5(h) => h.finish().to_vec(),
            Hasher::Sha224(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The digest of `data` in hex.
pub fn hex_digest(algo: Algo, data: &[u8]) -> String {
    let mut h = Hasher::new(algo);
    h.update(data);
    h.hex()
}

/// MD5 (RFC 1321).
#[derive(Clone)]
pub struct Md5 {
    state: [u32; 4],
    buf: [u8; 64],
    buffered: usize,
    len: u64,
}

const S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15,
    21,
];

/// `floor(abs(sin(i + 1)) * 2^32)`.
const K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8,
    0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
    0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87,
    0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039,
    0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
    0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391,
];

impl Default for Md5 {
    fn default() -> Self {
        Md5::new()
    }
}

impl Md5 {
    /// A new MD5 digest.
    pub fn new() -> Md5 {
        Md5 { state: [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476], buf: [0; 64], buffered: 0, len: 0 }
    }

    /// Add bytes.
    pub fn update(&mut self, mut data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            let n = (64 - self.buffered).min(data.len());
            self.buf[self.buffered..self.buffered + n].copy_from_slice(&data[..n]);
            self.buffered += n;
            data = &data[n..];
            if self.buffered == 64 {
                let block = self.buf;
                self.block(&block);
                self.buffered = 0;
            }
        }
    }

    /// The 16-byte digest.
    pub fn finish(mut self) -> [u8; 16] {
        let bits = self.len.wrapping_mul(8);
        self.update(&[0x80]);
        while self.buffered != 56 {
            self.update(&[0]);
        }
        self.update(&bits.to_le_bytes());
        let mut out = [0u8; 16];
        for (i, w) in self.state.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    fn block(&mut self, block: &[u8; 64]) {
        let mut m = [0u32; 16];
        for (i, w) in m.iter_mut().enumerate() {
            *w = u32::from_le_bytes([block[i * 4], block[i * 4 + 1], block[i * 4 + 2], block[i * 4 + 3]]);
        }
        let [mut a, mut b, mut c, mut d] = self.state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(K[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(S[i]));
        }
        for (s, v) in self.state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }
}

/// A line of a checksum file: the digest, the file name, and whether it
/// was marked binary (`*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckLine {
    /// The expected digest, lower case.
    pub hex: String,
    /// The file.
    pub name: String,
}

/// Parse `HEX  NAME`, `HEX *NAME` or `TAG (NAME) = HEX` for `algo`;
/// `None` for a line in another format.
pub fn parse_check_line(line: &str, algo: Algo) -> Option<CheckLine> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let is_hex = |h: &str| h.len() == algo.hex_len() && h.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(rest) = line.strip_prefix(algo.tag()).and_then(|r| r.strip_prefix(" ("))
        && let Some((name, hex)) = rest.rsplit_once(") = ")
        && is_hex(hex)
    {
        return Some(CheckLine { hex: hex.to_ascii_lowercase(), name: name.into() });
    }
    let (hex, rest) = line.split_at_checked(algo.hex_len())?;
    if !is_hex(hex) {
        return None;
    }
    let name = rest.strip_prefix("  ").or_else(|| rest.strip_prefix(" *"))?;
    if name.is_empty() {
        return None;
    }
    Some(CheckLine { hex: hex.to_ascii_lowercase(), name: name.into() })
}

/// The warnings `-c` ends with (`N computed checksums did NOT match`, ...).
pub fn check_summary(bad_lines: usize, unreadable: usize, mismatched: usize) -> Vec<String> {
    let plural = |n: usize, one: &str, many: &str| if n == 1 { String::from(one) } else { String::from(many) };
    let mut out = Vec::new();
    if bad_lines > 0 {
        out.push(format!("WARNING: {bad_lines} {} improperly formatted", plural(bad_lines, "line is", "lines are")));
    }
    if unreadable > 0 {
        out.push(format!("WARNING: {unreadable} listed {} could not be read", plural(unreadable, "file", "files")));
    }
    if mismatched > 0 {
        out.push(format!(
            "WARNING: {mismatched} computed {} did NOT match",
            plural(mismatched, "checksum", "checksums")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_rfc1321_test_suite() {
        let table = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, want) in table {
            assert_eq!(hex_digest(Algo::Md5, input.as_bytes()), want, "{input:?}");
        }
        // Fed in pieces, the same.
        let mut h = Hasher::new(Algo::Md5);
        for chunk in b"message digest".chunks(3) {
            h.update(chunk);
        }
        assert_eq!(h.hex(), "f96b697d7cb7938d525a2f31aaf161d0");
    }

    #[test]
    fn sha2() {
        assert_eq!(
            hex_digest(Algo::Sha256, b"abc\n"),
            "edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb"
        );
        assert_eq!(hex_digest(Algo::Sha224, b"").len(), 56);
        assert_eq!(hex_digest(Algo::Sha512, b"").len(), 128);
        assert_eq!(hex_digest(Algo::Sha384, b"").len(), 96);
        assert_eq!(Algo::for_program("sha256sum"), Some(Algo::Sha256));
    }

    #[test]
    fn check_lines() {
        let h = "d41d8cd98f00b204e9800998ecf8427e";
        let want = Some(CheckLine { hex: h.into(), name: "a b".into() });
        assert_eq!(parse_check_line(&format!("{h}  a b"), Algo::Md5), want);
        assert_eq!(parse_check_line(&format!("{h} *a b"), Algo::Md5), want);
        assert_eq!(parse_check_line(&format!("MD5 (a b) = {h}"), Algo::Md5), want);
        assert_eq!(parse_check_line(&format!("{h} a"), Algo::Md5), None);
        assert_eq!(parse_check_line("xyz  a", Algo::Md5), None);
        assert_eq!(parse_check_line(&format!("{h}  a"), Algo::Sha256), None);
        assert_eq!(
            check_summary(1, 2, 1),
            [
                "WARNING: 1 line is improperly formatted",
                "WARNING: 2 listed files could not be read",
                "WARNING: 1 computed checksum did NOT match"
            ]
        );
    }
}
