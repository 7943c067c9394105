#include "coordinator/status_pages.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/metrics.h"
#include "proto/status_json.h"

namespace braid {
namespace {

// status_page.html, made a string literal by the BUILD file's genrule.
constexpr char kStatusPage[] =
#include "coordinator/status_page_html.inc"
    ;

constexpr char kApiStatus[] = "/api/status";

HttpResponse Text(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpResponse Json(const proto::StatusResponse& status) {
  HttpResponse response;
  response.content_type = "application/json";
  response.body = StatusJson(status);
  response.body += '\n';
  // The page polls it: a cached answer would stand still.
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

}  // namespace

HttpResponse ServeCoordinatorPage(const Coordinator& coordinator, const HttpRequest& request) {
  const absl::string_view path = request.path;
  if (path == "/") {
    HttpResponse response;
    response.content_type = "text/html; charset=utf-8";
    response.body = kStatusPage;
    return response;
  }
  if (path == "/metrics") {
    MetricsPage page;
    coordinator.WriteMetrics(page);
    HttpResponse response;
    response.content_type = MetricsPage::kContentType;
    response.body = page.text();
    return response;
  }
  if (path == kApiStatus || path == absl::StrCat(kApiStatus, "/")) {
    absl::StatusOr<proto::StatusResponse> status = coordinator.Status("");
    if (!status.ok()) return Text(500, absl::StrCat(status.status().message(), "\n"));
    return Json(*status);
  }
  if (absl::StartsWith(path, absl::StrCat(kApiStatus, "/"))) {
    const std::string job(path.substr(sizeof(kApiStatus)));
    if (job.find('/') != std::string::npos) return Text(404, "no such page\n");
    absl::StatusOr<proto::StatusResponse> status = coordinator.Status(job);
    if (absl::IsNotFound(status.status())) {
      return Text(404, absl::StrCat(status.status().message(), "\n"));
    }
    if (!status.ok()) return Text(500, absl::StrCat(status.status().message(), "\n"));
    return Json(*status);
  }
  return Text(404, absl::StrCat("no such page: ", path, " (try /, /api/status or /metrics)\n"));
}

}  // namespace braid
