//! The match finder of klauspost/compress's level 5 (what `-1`, the
//! default level, means there): two hash tables over a history of up to
//! ~320 KiB — a 4-byte hash with one candidate and a 7-byte hash with
//! two — a skip that grows with the distance since the last match, a
//! look-ahead at the next position, and a check for a longer match two
//! bytes in. Positions are the reference's, so every choice is the same.

use super::tokens::{MAX_MATCH_LENGTH, MAX_WINDOW, Tokens};

const TABLE_BITS: u32 = 15;
const TABLE_SIZE: usize = 1 << TABLE_BITS;
/// Matches reach back at most this far (exclusive).
const MAX_MATCH_OFFSET: i32 = 1 << 15;
/// The history's capacity: when a window does not fit, the last 32 KiB
/// move to the front.
const ALLOC_HISTORY: usize = MAX_WINDOW * 5;
/// Stop looking for matches this close to the end of the input.
const INPUT_MARGIN: i32 = 12 - 1;
/// Shorter inputs are not searched.
const MIN_NON_LITERAL_BLOCK: usize = 1 + 1 + INPUT_MARGIN as usize;
const PRIME_4_BYTES: u32 = 2_654_435_761;
const PRIME_7_BYTES: u64 = 58_295_818_150_454_627;

/// A table entry: position + `cur` (0 = never set).
type Entry = i32;

/// The finder's state, kept across the windows of one compression.
pub(super) struct MatchFinder {
    hist: Vec<u8>,
    /// Added to positions in `hist` to make table entries; grows as the
    /// history moves, so stale entries fall out of reach.
    cur: i32,
    short: Vec<Entry>,
    /// Current and previous entry of each 7-byte hash.
    long: Vec<(Entry, Entry)>,
}

fn hash4(u: u64) -> usize {
    ((u as u32).wrapping_mul(PRIME_4_BYTES) >> (32 - TABLE_BITS)) as usize
}

fn hash7(u: u64) -> usize {
    ((u << 8).wrapping_mul(PRIME_7_BYTES) >> (64 - TABLE_BITS)) as usize
}

fn load64(b: &[u8], i: i32) -> u64 {
    let i = i as usize;
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(x)
}

fn load32(b: &[u8], i: i32) -> u32 {
    let i = i as usize;
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[i..i + 4]);
    u32::from_le_bytes(x)
}

/// Length of the common prefix of `b[s..end]` and `b[t..]` (`t < s`),
/// compared eight bytes at a time.
fn common(b: &[u8], s: i32, t: i32, end: usize) -> i32 {
    let (s, t) = (s as usize, t as usize);
    let x = &b[s..end];
    let y = &b[t..t + x.len()];
    let mut n = 0;
    let mut xs = x.chunks_exact(8);
    for (cx, cy) in (&mut xs).zip(y.chunks_exact(8)) {
        let mut wx = [0u8; 8];
        let mut wy = [0u8; 8];
        wx.copy_from_slice(cx);
        wy.copy_from_slice(cy);
        let diff = u64::from_le_bytes(wx) ^ u64::from_le_bytes(wy);
        if diff != 0 {
            return (n + (diff.trailing_zeros() / 8) as usize) as i32;
        }
        n += 8;
    }
    let tail = xs.remainder();
    n += tail.iter().zip(&y[n..]).take_while(|(a, b)| a == b).count();
    n as i32
}

impl MatchFinder {
    pub fn new() -> Self {
        MatchFinder {
            hist: Vec::with_capacity(ALLOC_HISTORY),
            cur: 0,
            short: vec![0; TABLE_SIZE],
            long: vec![(0, 0); TABLE_SIZE],
        }
    }

    /// Forgets everything: the state of a new compressor after its first
    /// reset (tables empty, `cur` = 64 KiB - 1 + 32 KiB).
    pub fn start(&mut self) {
        self.short.fill(0);
        self.long.fill((0, 0));
        self.hist.clear();
        self.cur = MAX_WINDOW as i32 + MAX_MATCH_OFFSET;
    }

    fn insert_long(&mut self, hash: usize, entry: Entry) {
        let slot = &mut self.long[hash];
        *slot = (entry, slot.0);
    }

    /// Appends `src` to the history; returns where it starts there.
    fn add_block(&mut self, src: &[u8]) -> i32 {
        if self.hist.len() + src.len() > ALLOC_HISTORY {
            let keep_from = self.hist.len() - MAX_MATCH_OFFSET as usize;
            self.hist.copy_within(keep_from.., 0);
            self.hist.truncate(MAX_MATCH_OFFSET as usize);
            self.cur += keep_from as i32;
        }
        let s = self.hist.len() as i32;
        self.hist.extend_from_slice(src);
        s
    }

    /// Is the entry `t` (a history position) usable from `s`?
    fn reachable(s: i32, t: i32) -> bool {
        t >= 0 && s - t < MAX_MATCH_OFFSET
    }

    /// Finds the matches of `src` against itself and the history, as
    /// tokens in `dst` (left empty when no match at all is found).
    pub fn encode(&mut self, dst: &mut Tokens, src: &[u8]) {
        let start = self.add_block(src);
        if src.len() < MIN_NON_LITERAL_BLOCK {
            return;
        }
        let hist = std::mem::take(&mut self.hist);
        self.search(dst, &hist, start);
        self.hist = hist;
    }

    fn search(&mut self, dst: &mut Tokens, src: &[u8], start: i32) {
        let cur = self.cur;
        let s_limit = src.len() as i32 - INPUT_MARGIN;
        let mut s = start;
        let mut next_emit = s;
        let mut cv = load64(src, s);
        'outer: loop {
            let mut next_s = s;
            let mut l: i32 = 0;
            let mut t: i32;
            loop {
                let mut next_hash_s = hash4(cv);
                let mut next_hash_l = hash7(cv);
                s = next_s;
                next_s = s + 1 + ((s - next_emit) >> 6);
                if next_s > s_limit {
                    break 'outer;
                }
                let s_candidate = self.short[next_hash_s];
                let l_candidate = self.long[next_hash_l];
                let next = load64(src, next_s);
                let entry = s + cur;
                self.short[next_hash_s] = entry;
                self.insert_long(next_hash_l, entry);
                next_hash_s = hash4(next);
                next_hash_l = hash7(next);

                t = l_candidate.0 - cur;
                if s - t < MAX_MATCH_OFFSET {
                    if Self::reachable(s, t) && cv as u32 == load32(src, t) {
                        self.short[next_hash_s] = next_s + cur;
                        self.insert_long(next_hash_l, next_s + cur);
                        let t2 = l_candidate.1 - cur;
                        if Self::reachable(s, t2) && cv as u32 == load32(src, t2) {
                            l = self.limited(src, s + 4, t + 4) + 4;
                            let l1 = self.limited(src, s + 4, t2 + 4) + 4;
                            if l1 > l {
                                t = t2;
                                l = l1;
                            }
                        }
                        break;
                    }
                    t = l_candidate.1 - cur;
                    if Self::reachable(s, t) && cv as u32 == load32(src, t) {
                        self.short[next_hash_s] = next_s + cur;
                        self.insert_long(next_hash_l, next_s + cur);
                        break;
                    }
                }

                t = s_candidate - cur;
                if Self::reachable(s, t) && cv as u32 == load32(src, t) {
                    l = self.limited(src, s + 4, t + 4) + 4;
                    let l_candidate = self.long[next_hash_l];
                    self.short[next_hash_s] = next_s + cur;
                    self.insert_long(next_hash_l, next_s + cur);
                    // Is the next position's long candidate better?
                    for t2 in [l_candidate.0 - cur, l_candidate.1 - cur] {
                        if next_s - t2 >= MAX_MATCH_OFFSET {
                            break;
                        }
                        if Self::reachable(next_s, t2) && load32(src, t2) == next as u32 {
                            let ml = self.limited(src, next_s + 4, t2 + 4) + 4;
                            if ml > l {
                                t = t2;
                                s = next_s;
                                l = ml;
                                break;
                            }
                        }
                    }
                    break;
                }
                cv = next;
            }

            if l == 0 {
                l = common(src, s + 4, t + 4, src.len()) + 4;
            } else if l == MAX_MATCH_LENGTH as i32 {
                l += common(src, s + l, t + l, src.len());
            }

            // A longer match two bytes in?
            let s_at = s + l;
            if l < 30 && s_at < s_limit {
                const SKIP_BEGINNING: i32 = 2;
                let e_long = self.long[hash7(load64(src, s_at))].0;
                let t2 = e_long - cur - l + SKIP_BEGINNING;
                let s2 = s + SKIP_BEGINNING;
                let off = s2 - t2;
                if t2 >= 0 && off < MAX_MATCH_OFFSET && off > 0 {
                    let l2 = common(src, s2, t2, src.len());
                    if l2 > l {
                        t = t2;
                        l = l2;
                        s = s2;
                    }
                }
            }

            // Extend backwards.
            while t > 0 && s > next_emit && src[(t - 1) as usize] == src[(s - 1) as usize] {
                s -= 1;
                t -= 1;
                l += 1;
            }
            if next_emit < s {
                dst.literals(&src[next_emit as usize..s as usize]);
            }
            dst.long_match(l as u32, (s - t - 1) as u32);
            s += l;
            next_emit = s;
            if next_s >= s {
                s = next_s + 1;
            }
            if s >= s_limit {
                break 'outer;
            }

            // Index some positions inside the match.
            let mut i = s - l + 1;
            if i < s - 1 {
                let mut cv = load64(src, i);
                let mut e = i + cur;
                self.short[hash4(cv)] = e;
                self.insert_long(hash7(cv), e);
                cv >>= 8;
                e += 1;
                self.insert_long(hash7(cv), e);
                cv >>= 8;
                e += 1;
                self.short[hash4(cv)] = e;
                i += 4;
                while i < s - 1 {
                    let cv = load64(src, i);
                    let e = i + cur;
                    self.insert_long(hash7(cv), e);
                    self.short[hash4(cv >> 8)] = e + 1;
                    i += 3;
                }
            }
            let x = load64(src, s - 1);
            let o = cur + s - 1;
            self.short[hash4(x)] = o;
            self.insert_long(hash7(x), o);
            cv = x >> 8;
        }

        if (next_emit as usize) < src.len() {
            if dst.len() == 0 {
                return;
            }
            dst.literals(&src[next_emit as usize..]);
        }
    }

    /// Common prefix from `s` and `t`, at most up to `s + 254` (so that
    /// with the 4 bytes already compared it stays within 258).
    fn limited(&self, src: &[u8], s: i32, t: i32) -> i32 {
        let end = (s as usize + MAX_MATCH_LENGTH as usize - 4).min(src.len());
        common(src, s, t, end)
    }
}
