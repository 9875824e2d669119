#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/inotify.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
