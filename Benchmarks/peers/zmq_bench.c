/* Native libzmq peer for benchmarks/compare.sh: the sink and echo workloads in ZeroMQ's own framing.
 *
 *   zmq_bench pull-server HOST PORT           PULL on PORT, PUSH the count back on PORT+1 after an empty message
 *   zmq_bench push HOST PORT COUNT SIZE        PUSH COUNT messages, then an empty one; wait for the count
 *   zmq_bench rep-server HOST PORT             REP: send every message back
 *   zmq_bench req HOST PORT COUNT SIZE WARMUP  REQ/REP ping-pong; WARMUP untimed round trips first
 *
 * Clients print one JSON object.  Build: cc -O2 -o zmq_bench zmq_bench.c -lzmq
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void endpoint(char *out, size_t n, const char *host, int port) {
    snprintf(out, n, "tcp://%s:%d", host, port);
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: zmq_bench pull-server|push|rep-server|req HOST PORT [COUNT SIZE [WARMUP]]\n");
        return 2;
    }
    const char *mode = argv[1], *host = argv[2];
    int port = atoi(argv[3]);
    char a[256], b[256];
    endpoint(a, sizeof a, host, port);
    endpoint(b, sizeof b, host, port + 1);
    void *context = zmq_ctx_new();

    if (strcmp(mode, "pull-server") == 0) {
        void *pull = zmq_socket(context, ZMQ_PULL), *push = zmq_socket(context, ZMQ_PUSH);
        if (zmq_bind(pull, a) != 0 || zmq_bind(push, b) != 0) { perror("bind"); return 1; }
        printf("zmq pull-server on %s\n", a);
        fflush(stdout);
        char buffer[1 << 16];
        long count = 0;
        for (;;) {
            int n = zmq_recv(pull, buffer, sizeof buffer, 0);
            if (n < 0) return 1;
            if (n == 0) {
                char reply[32];
                int length = snprintf(reply, sizeof reply, "%ld", count);
                zmq_send(push, reply, length, 0);
                count = 0;
            } else {
                count++;
            }
        }
    }
    if (strcmp(mode, "rep-server") == 0) {
        void *rep = zmq_socket(context, ZMQ_REP);
        if (zmq_bind(rep, a) != 0) { perror("bind"); return 1; }
        printf("zmq rep-server on %s\n", a);
        fflush(stdout);
        char buffer[1 << 16];
        for (;;) {
            int n = zmq_recv(rep, buffer, sizeof buffer, 0);
            if (n < 0) return 1;
            zmq_send(rep, buffer, n > (int)sizeof buffer ? (int)sizeof buffer : n, 0);
        }
    }
    if (argc < 6) { fprintf(stderr, "COUNT and SIZE needed\n"); return 2; }
    long count = atol(argv[4]);
    int size = atoi(argv[5]);
    char *payload = calloc(1, size > 0 ? size : 1);
    memset(payload, 'x', size);

    if (strcmp(mode, "push") == 0) {
        double start = now();
        void *push = zmq_socket(context, ZMQ_PUSH), *pull = zmq_socket(context, ZMQ_PULL);
        zmq_connect(push, a);
        zmq_connect(pull, b);
        for (long i = 0; i < count; i++) zmq_send(push, payload, size, 0);
        zmq_send(push, "", 0, 0);
        char reply[32] = {0};
        zmq_recv(pull, reply, sizeof reply - 1, 0);
        double seconds = now() - start;
        if (atol(reply) != count) { fprintf(stderr, "server counted %s, sent %ld\n", reply, count); return 1; }
        printf("{\"impl\": \"libzmq\", \"workload\": \"sink\", \"size\": %d, \"count\": %ld, \"seconds\": %f, "
               "\"messages_per_second\": %f, \"megabytes_per_second\": %f}\n",
               size, count, seconds, count / seconds, (double)count * size / seconds / 1e6);
        return 0;
    }
    if (strcmp(mode, "req") == 0) {
        long warmup = argc > 6 ? atol(argv[6]) : 1000;
        void *req = zmq_socket(context, ZMQ_REQ);
        zmq_connect(req, a);
        double *samples = calloc(count, sizeof(double));
        char buffer[1 << 16];
        for (long i = 0; i < warmup + count; i++) {
            double sent = now();
            zmq_send(req, payload, size, 0);
            zmq_recv(req, buffer, sizeof buffer, 0);
            if (i >= warmup) samples[i - warmup] = (now() - sent) * 1e6;
        }
        double sum = 0;
        for (long i = 0; i < count; i++) sum += samples[i];
        qsort(samples, count, sizeof(double), compare);
        long p50 = (long)(0.5 * count + 0.999999), p99 = (long)(0.99 * count + 0.999999);
        printf("{\"impl\": \"libzmq\", \"workload\": \"echo\", \"size\": %d, \"count\": %ld, \"mean_us\": %f, "
               "\"p50_us\": %f, \"p99_us\": %f}\n",
               size, count, sum / count, samples[p50 - 1], samples[p99 - 1]);
        return 0;
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
