/* SPDX-License-Identifier: MIT */
/* argv → config → app → run. No logic here. */
#include "app.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    struct app app = {0};
    struct err e = {0};
    if (util_init() != ST_OK) {
        fputs("socialgate: cannot initialise libsodium\n", stderr);
        return 1;
    }
    if (cfg_parse(&app.cfg, argc, argv, &e) != ST_OK) {
        fprintf(stderr, "socialgate: %s\n", e.msg);
        cfg_cleanup(&app.cfg);
        return 2;
    }
    int rc = 0;
    switch (app.cfg.cmd) {
    case CMD_HELP:
        cfg_help(stdout);
        break;
    case CMD_VERSION:
        printf("socialgate %s\n", SG_VERSION);
        break;
    case CMD_INIT:
        rc = app_cmd_init(&app);
        break;
    case CMD_APP_ADD:
        rc = app_cmd_app_add(&app);
        break;
    case CMD_COPY:
        rc = app_cmd_copy(&app);
        break;
    case CMD_BACKUP:
        rc = app_cmd_backup(&app);
        break;
    case CMD_RESTORE:
        rc = app_cmd_restore(&app);
        break;
    case CMD_SERVE:
        rc = app_cmd_serve(&app);
        break;
    case CMD_NONE:
        rc = 2;
        break;
    }
    app_close(&app);
    cfg_cleanup(&app.cfg);
    log_flush();
    return rc;
}
