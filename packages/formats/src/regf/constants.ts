/**
 * Sizes from the format and the caps that keep a crafted hive from hanging the reader or growing
 * its memory without bound. Every cap names its reason.
 */

/** The base block is 4096 bytes; hive bins start right after it (msuhanov/regf, "Base block" note 1). */
export const BASE_BLOCK_SIZE = 4096;
/** The checksum covers the first 508 bytes of the base block and is stored at 508. */
export const CHECKSUM_OFFSET = 508;
/** A hive bin header is 32 bytes; a bin's size is a multiple of 4096 ("Hive bin"). */
export const HBIN_HEADER_SIZE = 32;
export const HBIN_ALIGNMENT = 4096;
/** A cell offset that points nowhere. */
export const NO_CELL = 0xffffffff;

/**
 * The largest hive loaded. The hive is read into memory whole (lookups touch cells all over it,
 * and log recovery rewrites pages in place); real hives are tens of MB (SYSTEM), SOFTWARE and
 * COMPONENTS reach a few hundred MB on long-lived servers. 1 GiB leaves room for those and
 * stops a crafted `hive bins data size` (a u32, up to 4 GiB) from allocating more.
 */
export const MAX_HIVE_SIZE = 1024 * 1024 * 1024;
/**
 * The largest value data assembled. Windows documents "available memory" as the limit but
 * advises against values over 2 KB; the largest in our corpus is 270 KB (AppCompatCache). A
 * crafted big-data record could otherwise chain 65,535 segments into a 1 GB buffer.
 */
export const MAX_VALUE_SIZE = 64 * 1024 * 1024;
/** A big-data segment holds at most 16,344 bytes (msuhanov/regf, "Big data"; libregf). */
export const DB_SEGMENT_SIZE = 16344;
/** Data larger than this goes through a big-data record on hive version 1.4 and later. */
export const BIG_DATA_THRESHOLD = 16344;
/** Segments a big-data record may chain: what `MAX_VALUE_SIZE` needs, no more. */
export const MAX_DB_SEGMENTS = Math.ceil(MAX_VALUE_SIZE / DB_SEGMENT_SIZE);
/**
 * Subkeys of one key. The count is a u32; the most populous real keys (HKCR-style class lists)
 * hold a few hundred thousand. Each entry costs one offset read, so the cap bounds a listing.
 */
export const MAX_SUBKEYS = 4 * 1024 * 1024;
/** Values of one key; real keys hold at most thousands. Same reasoning as `MAX_SUBKEYS`. */
export const MAX_VALUES = 4 * 1024 * 1024;
/**
 * Key nesting depth. Windows limits registry trees to 512 levels; a crafted subkey list that
 * points back to an ancestor would otherwise make a path or a walk endless.
 */
export const MAX_KEY_DEPTH = 512;
/*
 * Name lengths need no cap of their own: key names (255 characters), value names (16,383) and
 * class names all have u16 byte lengths, so at most 65,535 bytes, and are read inside their
 * cell's bounds. The same holds for list counts: the li/lf/lh/ri counts are u16, and entries are
 * read only within the list cell.
 */
/** Security descriptors are at most 64 KB (SECURITY_DESCRIPTOR_MAX_LENGTH in practice). */
export const MAX_SECURITY_DESCRIPTOR = 0x10000;
/** New-format log entries applied from one log; each is at least 512 bytes, so the log size bounds it too. */
export const MAX_LOG_ENTRIES = 1_000_000;
