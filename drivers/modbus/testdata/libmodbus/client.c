/*
 * A Modbus TCP client on libmodbus, the peer of the single-connection
 * benchmark: it reads holding registers in a closed loop, one request at a
 * time, over one connection.
 *
 * Usage: client HOST PORT SECONDS [COUNT [UNIT]]
 *
 * It reads COUNT (default 10) holding registers from address 0 of unit UNIT
 * (default 1) for SECONDS, then prints one line:
 *
 *   requests=N errors=E seconds=S rate=R
 *
 * where R is answered requests per second. It exits 1 if any request failed.
 *
 * Build: cc -O2 -o client client.c $(pkg-config --cflags --libs libmodbus)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <modbus.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 6) {
        fprintf(stderr, "usage: %s HOST PORT SECONDS [COUNT [UNIT]]\n", argv[0]);
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]);
    double seconds = atof(argv[3]);
    int count = argc > 4 ? atoi(argv[4]) : 10;
    int unit = argc > 5 ? atoi(argv[5]) : 1;
    if (seconds <= 0 || count < 1 || count > MODBUS_MAX_READ_REGISTERS) {
        fprintf(stderr, "client: SECONDS must be positive and COUNT in 1..%d\n", MODBUS_MAX_READ_REGISTERS);
        return 2;
    }

    modbus_t *ctx = modbus_new_tcp(host, port);
    if (ctx == NULL || modbus_set_slave(ctx, unit) == -1) {
        fprintf(stderr, "client: %s\n", modbus_strerror(errno));
        return 1;
    }
    if (modbus_connect(ctx) == -1) {
        fprintf(stderr, "client: connecting to %s:%d: %s\n", host, port, modbus_strerror(errno));
        return 1;
    }

    uint16_t regs[MODBUS_MAX_READ_REGISTERS];
    long requests = 0, errors = 0;
    double start = now(), end = start + seconds, t = start;
    while (t < end) {
        if (modbus_read_registers(ctx, 0, count, regs) == count) {
            requests++;
        } else {
            errors++;
            if (errors == 1) {
                fprintf(stderr, "client: reading: %s\n", modbus_strerror(errno));
            }
        }
        t = now();
    }
    double elapsed = t - start;
    printf("requests=%ld errors=%ld seconds=%.3f rate=%.1f\n", requests, errors, elapsed, requests / elapsed);
    modbus_close(ctx);
    modbus_free(ctx);
    return errors > 0;
}
