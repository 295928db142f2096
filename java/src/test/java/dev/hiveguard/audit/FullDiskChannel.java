package dev.hiveguard.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.StandardOpenOption;

/**
 * A real file channel on a pretend disk of limited space, failing as a full disk does: a
 * write that crosses the limit writes what fits (a short write, possibly mid-line) and the
 * next one fails with "No space left on device". Space can be given back at any time, and
 * the disk can be made to fail the way a dying device does (every write and truncate fails
 * after half the bytes).
 */
final class FullDiskChannel extends FileChannel {

    /** Free space shared by every channel opened on it. */
    static final class Disk {
        volatile long capacity = Long.MAX_VALUE;
        volatile boolean broken;
        volatile int opens;

        RollingAuditFile.ChannelOpener opener() {
            return f -> {
                opens++;
                return new FullDiskChannel(this, FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.READ));
            };
        }
    }

    private final Disk disk;
    private final FileChannel real;

    private FullDiskChannel(Disk disk, FileChannel real) {
        this.disk = disk;
        this.real = real;
    }

    private static IOException noSpace() {
        return new IOException("No space left on device");
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        if (disk.broken) {
            int half = src.remaining() / 2;
            if (half > 0) {
                ByteBuffer part = src.slice();
                part.limit(half);
                int n = real.write(part, position);
                src.position(src.position() + n);
                return n;
            }
            throw new IOException("Input/output error");
        }
        long room = disk.capacity - position;
        if (room <= 0) {
            throw noSpace();
        }
        if (src.remaining() <= room) {
            return real.write(src, position);
        }
        ByteBuffer part = src.slice();
        part.limit((int) room);
        int n = real.write(part, position);
        src.position(src.position() + n);
        return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int n = write(src, real.position());
        real.position(real.position() + n);
        return n;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long n = 0;
        for (int i = offset; i < offset + length; i++) {
            n += write(srcs[i]);
        }
        return n;
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        if (disk.broken) {
            throw new IOException("Input/output error");
        }
        real.truncate(size);
        return this;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return real.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return real.read(dsts, offset, length);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return real.read(dst, position);
    }

    @Override
    public long position() throws IOException {
        return real.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        real.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return real.size();
    }

    @Override
    public void force(boolean metaData) throws IOException {
        real.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        throw new UnsupportedOperationException();
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        throw new UnsupportedOperationException();
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        throw new UnsupportedOperationException();
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        throw new UnsupportedOperationException();
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        throw new UnsupportedOperationException();
    }

    @Override
    protected void implCloseChannel() throws IOException {
        real.close();
    }
}
