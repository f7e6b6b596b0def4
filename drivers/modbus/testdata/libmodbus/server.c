/*
 * A Modbus TCP server on libmodbus, the peer of the driver's interoperability
 * test: a Modbus implementation the project did not write.
 *
 * Usage: server PORT   (0 picks a free port)
 *
 * It listens on 127.0.0.1, prints "listening on PORT" once bound, and serves
 * connections one after another until killed. The mapping holds 100 entries
 * of each table, filled with known values:
 *
 *   coil[i]      = i % 3 == 0           discrete[i] = i % 2 == 1
 *   holding[i]   = 1000 + i             input[i]    = 2000 + i
 *
 * except for these input registers:
 *
 *   input[5]      int16   -12
 *   input[10..11] float32 21.5,        high word first
 *   input[12..13] float32 -3.25,       low word first
 *   input[20..21] int32   -123456,     high word first
 *   input[22..23] int32   70000,       low word first
 *
 * Build: cc -o server server.c $(pkg-config --cflags --libs libmodbus)
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <modbus.h>

#define ENTRIES 100

/* put32 stores v in regs[0..1], high word first unless low_first. */
static void put32(uint16_t *regs, uint32_t v, int low_first)
{
    uint16_t hi = (uint16_t)(v >> 16), lo = (uint16_t)v;
    regs[0] = low_first ? lo : hi;
    regs[1] = low_first ? hi : lo;
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);

    modbus_mapping_t *m = modbus_mapping_new(ENTRIES, ENTRIES, ENTRIES, ENTRIES);
    if (m == NULL) {
        fprintf(stderr, "allocating the mapping: %s\n", modbus_strerror(errno));
        return 1;
    }
    for (int i = 0; i < ENTRIES; i++) {
        m->tab_bits[i] = i % 3 == 0;
        m->tab_input_bits[i] = i % 2 == 1;
        m->tab_registers[i] = (uint16_t)(1000 + i);
        m->tab_input_registers[i] = (uint16_t)(2000 + i);
    }
    m->tab_input_registers[5] = (uint16_t)(int16_t)-12;
    put32(&m->tab_input_registers[10], float_bits(21.5f), 0);
    put32(&m->tab_input_registers[12], float_bits(-3.25f), 1);
    put32(&m->tab_input_registers[20], (uint32_t)(int32_t)-123456, 0);
    put32(&m->tab_input_registers[22], 70000u, 1);

    modbus_t *ctx = modbus_new_tcp("127.0.0.1", port);
    if (ctx == NULL) {
        fprintf(stderr, "creating the context: %s\n", modbus_strerror(errno));
        return 1;
    }
    int server = modbus_tcp_listen(ctx, 1);
    if (server == -1) {
        fprintf(stderr, "listening on port %d: %s\n", port, modbus_strerror(errno));
        return 1;
    }
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    if (getsockname(server, (struct sockaddr *)&addr, &len) == -1) {
        perror("getsockname");
        return 1;
    }
    printf("listening on %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    for (;;) {
        if (modbus_tcp_accept(ctx, &server) == -1) {
            fprintf(stderr, "accepting: %s\n", modbus_strerror(errno));
            return 1;
        }
        for (;;) {
            int rc = modbus_receive(ctx, query);
            if (rc == -1) {
                break; /* the client closed the connection, or it failed */
            }
            if (rc > 0 && modbus_reply(ctx, query, rc, m) == -1) {
                break;
            }
        }
        close(modbus_get_socket(ctx));
        modbus_set_socket(ctx, -1);
    }
}
