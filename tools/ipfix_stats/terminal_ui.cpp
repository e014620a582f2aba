#include "terminal_ui.hpp"

#include <curses.h>

#include <algorithm>
#include <atomic>
#include <csignal>

namespace ipfix::tools {
namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_stop_signal(int) { stop_requested.store(true); }

void put_line(int y, const std::string& text, attr_t attr) {
    if (y < 0 || y >= LINES) return;
    move(y, 0);
    clrtoeol();
    if (attr != 0) attron(attr);
    mvaddnstr(y, 0, text.c_str(), std::max(0, COLS));
    if (attr != 0) attroff(attr);
}

void draw(const screen_data& d, view_id v, int& scroll) {
    erase();
    put_line(0, render_header(d), d.unreachable.empty() ? A_REVERSE : A_REVERSE | A_BOLD);
    put_line(1, render_tabs(v), A_BOLD);
    const std::vector<std::string> body = render_view(v, d);
    const int rows = std::max(0, LINES - 4);  // header, tabs, blank line; footer
    const int max_scroll = std::max(0, static_cast<int>(body.size()) - rows);
    scroll = std::clamp(scroll, 0, max_scroll);
    for (int i = 0; i < rows && static_cast<size_t>(scroll + i) < body.size(); ++i) {
        put_line(3 + i, body[static_cast<size_t>(scroll + i)], 0);
    }
    std::string footer = render_footer();
    if (max_scroll > 0) footer += "  Up/Down: scroll";
    put_line(LINES - 1, footer, A_DIM);
    refresh();
}

}  // namespace

int run_terminal_ui(poll_loop& loop, view_id first) {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    initscr();
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    timeout(100);  // key wait: how soon a new poll or a signal shows

    view_id v = first;
    bool paused = false;
    int scroll = 0;
    unsigned long shown = ~0UL;
    bool dirty = true;
    while (!stop_requested.load()) {
        unsigned long version = 0;
        const screen_data d = loop.snapshot(version);
        if (dirty || version != shown) {
            draw(d, v, scroll);
            shown = version;
            dirty = false;
        }
        const int ch = getch();
        if (ch == ERR) continue;
        dirty = true;
        if (ch == 'q' || ch == 'Q') break;
        if (ch >= '1' && ch <= '5') {
            v = static_cast<view_id>(ch - '1');
            scroll = 0;
        } else if (ch == '\t' || ch == KEY_RIGHT) {
            v = static_cast<view_id>((static_cast<unsigned>(v) + 1) % view_names.size());
            scroll = 0;
        } else if (ch == KEY_BTAB || ch == KEY_LEFT) {
            v = static_cast<view_id>((static_cast<unsigned>(v) + view_names.size() - 1) % view_names.size());
            scroll = 0;
        } else if (ch == 'p' || ch == 'P' || ch == ' ') {
            paused = !paused;
            loop.pause(paused);
        } else if (ch == KEY_DOWN) {
            ++scroll;
        } else if (ch == KEY_UP) {
            --scroll;
        } else if (ch == KEY_NPAGE) {
            scroll += std::max(1, LINES - 5);
        } else if (ch == KEY_PPAGE) {
            scroll -= std::max(1, LINES - 5);
        } else if (ch == KEY_RESIZE) {
            clearok(stdscr, TRUE);  // ncurses has the new LINES and COLS: a full redraw
        }
    }
    endwin();
    return 0;
}

}  // namespace ipfix::tools
