/*
 * vectors.h - what the golden-vector emitter and checker share: the names of
 * the vectors and the one configuration/reply scenario they are built from.
 */
#ifndef HG_GOLDEN_VECTORS_H
#define HG_GOLDEN_VECTORS_H

#include "support.h"

/* Vectors the Java side re-encodes from the .txt and hands back in java/. */
#define VECTOR_CONFIG        "config"
#define VECTOR_REPLY         "reply"
#define VECTOR_HELLO_REQUEST "hello_request"

#define GOLDEN_INSTANCE_ID   0x0123456789ABCDEFull
#define GOLDEN_CAPABILITIES  (HG_CAP_SIMULATOR | HG_CAP_INJECT)

/* The canonical configuration of the vectors: three kinds of prefix entry
 * (INCLUDE with HG_PREFIX_F_VERDICT and a timeout override, plain INCLUDE,
 * EXCLUDE), a second verdict prefix with a short timeout that produces a
 * late reply, and two excluded pids. Returns the encoded length. */
size_t golden_config(unsigned char *buf, size_t cap);

#endif
