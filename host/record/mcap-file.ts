// A chunked MCAP writer that closes a chunk on demand (the recorder does so at least every second), so a crash loses only the open chunk.
import { fsyncSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { McapChunkBuilder, McapRecordBuilder, McapConstants, type McapTypes } from '@mcap/core';

type Schema = McapTypes.Schema;
type Channel = McapTypes.Channel;

/**
 * @mcap/core's McapWriter closes a chunk only when it exceeds a byte size, and its chunk flush is private: a quiet
 * recording would keep minutes in memory. This writer uses the library's own record and chunk builders and adds
 * `flush()`, which writes the open chunk (with its message indexes) to the file. Schemas and channels go out before
 * their first message so every flushed prefix of the file is readable on its own.
 */
export class McapFileWriter {
  private readonly fd: number;
  private pos = 0n;
  private readonly records = new McapRecordBuilder();
  private readonly chunk = new McapChunkBuilder({ useMessageIndex: true });
  private readonly schemas: Schema[] = [];
  private readonly channels: Channel[] = [];
  private readonly chunkIndexes: McapTypes.ChunkIndex[] = [];
  private readonly metadataIndexes: McapTypes.MetadataIndex[] = [];
  private readonly channelCounts = new Map<number, bigint>();
  private messageCount = 0n;
  private startTime: bigint | null = null;
  private endTime = 0n;
  private metadataCount = 0;
  private closed = false;

  /** `fd`: a file opened for writing (the recorder opens it 'wx', so a recording that exists is never overwritten); the opener closes it after close(). */
  constructor(fd: number, profile = 'ganglion') {
    this.fd = fd;
    this.records.writeMagic();
    this.records.writeHeader({ profile, library: 'ganglion record (@mcap/core builders)' });
    this.emit();
  }

  /** Bytes on disk so far. */
  get size(): bigint {
    return this.pos;
  }

  /** Bytes in the open chunk (lost on a crash until the next flush). */
  get pending(): number {
    return this.chunk.byteLength;
  }

  addSchema(s: Omit<Schema, 'id'>): number {
    const schema = { ...s, id: this.schemas.length + 1 };
    this.schemas.push(schema);
    this.records.writeSchema(schema);
    this.emit();
    return schema.id;
  }

  addChannel(c: Omit<Channel, 'id'>): number {
    const channel = { ...c, id: this.channels.length };
    this.channels.push(channel);
    this.records.writeChannel(channel);
    this.emit();
    return channel.id;
  }

  addMessage(channelId: number, logTime_ns: bigint, data: Uint8Array, publishTime_ns = logTime_ns): void {
    const n = this.channelCounts.get(channelId) ?? 0n;
    this.chunk.addMessage({ channelId, sequence: Number(n & 0xffffffffn), logTime: logTime_ns, publishTime: publishTime_ns, data });
    this.channelCounts.set(channelId, n + 1n);
    this.messageCount++;
    if (this.startTime === null || logTime_ns < this.startTime) this.startTime = logTime_ns;
    if (logTime_ns > this.endTime) this.endTime = logTime_ns;
  }

  /** A metadata record (episode bounds, session facts): the open chunk goes out first, so the record follows its messages. */
  addMetadata(name: string, metadata: Record<string, string>, sync = true): void {
    this.flush(false);
    const offset = this.pos;
    const length = this.records.writeMetadata({ name, metadata: new Map(Object.entries(metadata)) });
    this.metadataIndexes.push({ offset, length, name });
    this.metadataCount++;
    this.emit(sync);
  }

  /** Writes the open chunk and its message indexes; with sync, also asks the OS to put them on the disk. */
  flush(sync = false): void {
    if (this.chunk.numMessages > 0) {
      const records = this.chunk.buffer;
      const chunkStartOffset = this.pos;
      const chunkLength = this.records.writeChunk({
        messageStartTime: this.chunk.messageStartTime,
        messageEndTime: this.chunk.messageEndTime,
        uncompressedSize: BigInt(records.length),
        uncompressedCrc: crc32(records),
        compression: '',
        records,
      });
      const messageIndexOffsets = new Map<number, bigint>();
      let messageIndexLength = 0n;
      for (const index of this.chunk.indices) {
        messageIndexOffsets.set(index.channelId, chunkStartOffset + chunkLength + messageIndexLength);
        messageIndexLength += this.records.writeMessageIndex(index);
      }
      this.chunkIndexes.push({
        messageStartTime: this.chunk.messageStartTime, messageEndTime: this.chunk.messageEndTime,
        chunkStartOffset, chunkLength, messageIndexOffsets, messageIndexLength,
        compression: '', compressedSize: BigInt(records.length), uncompressedSize: BigInt(records.length),
      });
      this.chunk.reset();
    }
    this.emit(sync);
  }

  /** Data end, the summary (schemas, channels, statistics, indexes) and the footer: the file becomes indexed. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.records.writeDataEnd({ dataSectionCrc: 0 });
    this.emit();
    const summaryStart = this.pos;
    const groups: McapTypes.SummaryOffset[] = [];
    const group = (groupOpcode: number, write: () => bigint) => {
      const groupStart = this.pos;
      const groupLength = write();
      this.emit();
      if (groupLength > 0n) groups.push({ groupOpcode, groupStart, groupLength });
    };
    const Op = McapConstants.Opcode;
    group(Op.SCHEMA, () => this.schemas.reduce((n, s) => n + this.records.writeSchema(s), 0n));
    group(Op.CHANNEL, () => this.channels.reduce((n, c) => n + this.records.writeChannel(c), 0n));
    group(Op.STATISTICS, () => this.records.writeStatistics({
      messageCount: this.messageCount, schemaCount: this.schemas.length, channelCount: this.channels.length,
      attachmentCount: 0, metadataCount: this.metadataCount, chunkCount: this.chunkIndexes.length,
      messageStartTime: this.startTime ?? 0n, messageEndTime: this.endTime, channelMessageCounts: this.channelCounts,
    }));
    group(Op.METADATA_INDEX, () => this.metadataIndexes.reduce((n, m) => n + this.records.writeMetadataIndex(m), 0n));
    group(Op.CHUNK_INDEX, () => this.chunkIndexes.reduce((n, c) => n + this.records.writeChunkIndex(c), 0n));
    const summaryOffsetStart = this.pos;
    for (const g of groups) this.records.writeSummaryOffset(g);
    // summaryCrc 0: "not computed" in the spec; chunks carry their own CRCs.
    this.records.writeFooter({ summaryStart, summaryOffsetStart, summaryCrc: 0 });
    this.records.writeMagic();
    this.emit(true);
    this.closed = true;
  }

  private emit(sync = false): void {
    const buf = this.records.buffer;
    if (buf.length) {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
      this.pos += BigInt(buf.length);
      this.records.reset();
    }
    if (sync) fsyncSync(this.fd);
  }
}
