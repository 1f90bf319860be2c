/** The part of seek-bzip (a pure-JavaScript bzip2 decoder) this reader uses; the package ships no types. */
declare module 'seek-bzip' {
  interface ByteSink {
    writeByte(byte: number): void;
  }
  const Bunzip: {
    /** Decodes one bzip2 stream of `input` (`multistream` false) into `output`, byte by byte. */
    decode(input: Uint8Array, output: ByteSink, multistream?: boolean): unknown;
  };
  export default Bunzip;
}
