import { FormatError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import type { Superblock } from './format.js';

/*
 * Is the internal log clean? (xfs_log_format.h, xfs_log_recover.c.) The log is a circular array
 * of 512-byte basic blocks. Every basic block starts with the cycle number it was written in: a
 * record header (struct xlog_rec_header: 0 h_magicno 0xFEEDBABE, 4 h_cycle, 8 h_version,
 * 12 h_len, 16 h_lsn, 24 h_tail_lsn, 32 h_crc, 36 h_prev_block, 40 h_num_logops,
 * 44 h_cycle_data[64], 300 h_fmt, 304 h_fs_uuid, 320 h_size) carries it at offset 4, every other
 * block in its first word. The head of the log is the first block whose cycle is lower than the
 * cycle of block 0 (blocks [0, head) were written in the current pass). The log is clean when the
 * last record before the head is an unmount record: a single operation (h_num_logops = 1) whose
 * op header (struct xlog_op_header: 0 oh_tid, 4 oh_len, 8 oh_clientid, 9 oh_flags) has
 * XLOG_UNMOUNT_TRANS. That is the test the kernel applies before deciding whether to replay
 * (xlog_check_unmount_rec). Not checked: torn writes near the head, and record CRCs; the log is
 * never replayed, so a dirty log means recently written files may be missing or stale.
 */
const XLOG_HEADER_MAGIC = 0xfeedbabe;
const XLOG_UNMOUNT_TRANS = 0x20;
const XLOG_VERSION_2 = 2;
const XLOG_HEADER_CYCLE_SIZE = 32 * 1024;
const BBSIZE = 512;
/** How far back from the head to look for the last record header: the largest log record is 256 KiB plus headers. */
const MAX_RECORD_SCAN_BBS = 2048;
/** Binary-search steps over the log: 2^40 basic blocks is far more than the 2 GiB log limit. */
const MAX_SEARCH_STEPS = 40;

export interface LogState {
  /** true: unmounted cleanly; false: has transactions that were not replayed; undefined: external log. */
  clean: boolean | undefined;
  headBlock?: number;
  cycle?: number;
  reason: string;
}

export async function checkLog(source: ByteSource, sb: Superblock): Promise<LogState> {
  if (sb.logStart === 0n) return { clean: undefined, reason: 'external log device, not checked' };
  const start = Number(sb.logStart);
  const agno = Math.floor(start / 2 ** sb.agblkLog);
  const agbno = start % 2 ** sb.agblkLog;
  if (agno >= sb.agCount || sb.logBlocks < 1 || agbno + sb.logBlocks > sb.agBlocks) {
    throw new FormatError('xfs/bad-log-location', 'xfs: internal log is outside its allocation group', {
      data: {
        expected: `agbno + logblocks <= ${sb.agBlocks}`,
        actual: { agno, agbno, logBlocks: sb.logBlocks },
      },
    });
  }
  const base = (agno * sb.agBlocks + agbno) * sb.blockSize;
  const nbb = (sb.logBlocks * sb.blockSize) / BBSIZE;
  const bb = (i: number): Promise<Uint8Array> => source.read(base + i * BBSIZE, BBSIZE);
  const cycleOf = async (i: number): Promise<number> => {
    const bv = new ByteView(await bb(i), 'XFS log block', base + i * BBSIZE);
    return bv.u32be(0) === XLOG_HEADER_MAGIC ? bv.u32be(4) : bv.u32be(0);
  };

  const first = await cycleOf(0);
  const last = await cycleOf(nbb - 1);
  let head = 0;
  if (first !== last) {
    let lo = 0;
    let hi = nbb - 1;
    for (let step = 0; hi - lo > 1 && step < MAX_SEARCH_STEPS; step++) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if ((await cycleOf(mid)) === first) lo = mid;
      else hi = mid;
    }
    head = hi;
  }
  // Walk back from the head to the last record header.
  for (let k = 1; k <= Math.min(MAX_RECORD_SCAN_BBS, nbb); k++) {
    const at = (head - k + nbb) % nbb;
    const hv = new ByteView(await bb(at), 'XFS log record header', base + at * BBSIZE);
    if (hv.u32be(0) !== XLOG_HEADER_MAGIC) continue;
    const version = hv.u32be(8);
    const size = hv.u32be(320);
    const hblks =
      version & XLOG_VERSION_2 && size > XLOG_HEADER_CYCLE_SIZE
        ? Math.ceil(size / XLOG_HEADER_CYCLE_SIZE)
        : 1;
    const numOps = hv.u32be(40);
    const ov = new ByteView(
      await bb((at + hblks) % nbb),
      'XFS log operation header',
      base + ((at + hblks) % nbb) * BBSIZE,
    );
    const unmount = numOps === 1 && (ov.u8(9) & XLOG_UNMOUNT_TRANS) !== 0;
    return {
      clean: unmount,
      headBlock: head,
      cycle: hv.u32be(4),
      reason: unmount
        ? 'last log record is an unmount record'
        : 'last log record is not an unmount record: the log needs replay',
    };
  }
  return { clean: false, headBlock: head, reason: 'no log record header found before the log head' };
}
