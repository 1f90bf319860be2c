/** The part of seek-bzip (a pure-JavaScript bzip2 decoder) the bzip2 codec uses; the package ships no types. */
declare module 'seek-bzip' {
  interface ByteSource {
    readByte(): number;
    read(buffer: Uint8Array, at: number, length: number): number;
    seek(pos: number): void;
    eof(): boolean;
  }
  interface ByteSink {
    writeByte(byte: number): void;
  }
  const Bunzip: {
    /** Decodes one bzip2 stream of `input` (`multistream` false) into `output`, byte by byte. */
    decode(input: Uint8Array | ByteSource, output: ByteSink, multistream?: boolean): unknown;
  };
  export default Bunzip;
}
