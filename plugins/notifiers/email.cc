// email: one message per delivery through the operator's SMTP server
// (Poco's SMTP client): STARTTLS (required by default) then AUTH, a
// multipart/alternative body (text + HTML) rendered from templates, and the
// headers a bulk sender must carry: Message-ID (stable per delivery, so a
// retried message is recognisably the same), Date, List-Unsubscribe (+
// List-Unsubscribe-Post for one-click).
//
// Templates: <templates_dir>/<event_type>.txt and .html, falling back to
// default.txt / default.html; "{{name}}" is replaced by the payload's
// top-level value `name` (HTML-escaped in .html), plus {{event_type}},
// {{delivery_id}}, {{unsubscribe_url}}. Unknown names render empty.
#include <Poco/Net/MailMessage.h>
#include <Poco/Net/MailRecipient.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureSMTPClientSession.h>
#include <Poco/Net/StringPartSource.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>

#include "http_post.h"
#include "notifiers.h"
#include "signalforge/signalforge.hpp"

namespace sf::notifiers {

namespace {

using sf::sdk::Error;
using sf::sdk::Guard;

struct Email {
  std::string host;
  uint16_t port = 587;
  std::string starttls = "required";  // required | optional | off
  std::string username, password;
  std::string auth = "plain";  // plain | login
  std::string from;
  std::string helo = "signalforge";
  std::string templates_dir;
  std::string subject_template = "[Signalforge] {{headline}}";
  std::string unsubscribe_url;  // may contain {{subscription_id}} / {{delivery_id}}
  std::string unsubscribe_mailto;
  std::string message_id_domain = "signalforge.local";
  HttpOptions http;  // timeout_ms, ca_file
  Poco::Net::Context::Ptr tls;
};

std::string Str(const nlohmann::json& c, const char* key, const std::string& def) {
  auto it = c.find(key);
  if (it == c.end()) return def;
  if (!it->is_string())
    throw Error(SF_ERR_INVALID_ARGUMENT, std::string("email config: ") + key + " must be a string");
  return it->get<std::string>();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ValidAddress(const std::string& a) {
  static const std::regex kAddr(R"(^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$)");
  return a.size() <= 254 && std::regex_match(a, kAddr);
}

sf_status Create(const char* config_json, void** instance) {
  return Guard([&] {
    if (instance == nullptr) throw Error(SF_ERR_INVALID_ARGUMENT, "create needs an out pointer");
    nlohmann::json c = ParseConfig(config_json, "email");
    auto e = std::make_unique<Email>();
    e->host = Str(c, "host", "");
    if (e->host.empty())
      throw Error(SF_ERR_INVALID_ARGUMENT, "email config: host (the SMTP server) is required");
    if (auto it = c.find("port"); it != c.end()) {
      if (!it->is_number_integer() || it->get<int>() < 1 || it->get<int>() > 65535)
        throw Error(SF_ERR_INVALID_ARGUMENT, "email config: port must be in 1..65535");
      e->port = static_cast<uint16_t>(it->get<int>());
    }
    e->starttls = Str(c, "starttls", "required");
    if (e->starttls != "required" && e->starttls != "optional" && e->starttls != "off")
      throw Error(SF_ERR_INVALID_ARGUMENT,
                  "email config: starttls must be \"required\", \"optional\" or \"off\"");
    e->username = Str(c, "username", "");
    e->password = Str(c, "password", "");
    e->auth = Str(c, "auth", "plain");
    if (e->auth != "login" && e->auth != "plain")
      throw Error(SF_ERR_INVALID_ARGUMENT, "email config: auth must be \"login\" or \"plain\"");
    e->from = Str(c, "from", "");
    if (e->from.empty())
      throw Error(SF_ERR_INVALID_ARGUMENT,
                  "email config: from is required (e.g. \"Signalforge <alerts@example.com>\")");
    e->helo = Str(c, "helo", "signalforge");
    e->templates_dir = Str(c, "templates_dir", "");
    if (e->templates_dir.empty() || ReadFile(e->templates_dir + "/default.txt").empty())
      throw Error(SF_ERR_INVALID_ARGUMENT,
                  "email config: templates_dir must name a folder with default.txt and "
                  "default.html (got \"" + e->templates_dir + "\")");
    e->subject_template = Str(c, "subject", e->subject_template);
    e->unsubscribe_url = Str(c, "unsubscribe_url", "");
    e->unsubscribe_mailto = Str(c, "unsubscribe_mailto", "");
    e->message_id_domain = Str(c, "message_id_domain", e->message_id_domain);
    e->http = HttpOptions::FromJson(c);
    if (e->starttls != "off") {
      static std::once_flag once;
      std::call_once(once, [] { Poco::Net::initializeSSL(); });
      e->tls = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", e->http.ca_file,
                                      Poco::Net::Context::VERIFY_RELAXED, 9, true);
      e->tls->setInvalidCertificateHandler(Poco::Net::Context::InvalidCertificateHandlerPtr(
          new Poco::Net::RejectCertificateHandler(false)));
    }
    *instance = e.release();
  });
}

void Destroy(void* instance) { delete static_cast<Email*>(instance); }

sf_status Validate(void*, const char* destination) {
  return Guard([&] {
    if (destination == nullptr || !ValidAddress(destination))
      throw Error(SF_ERR_INVALID_ARGUMENT, std::string("email destination \"") +
                                               (destination ? destination : "") +
                                               "\" is not an e-mail address (name@example.com)");
  });
}

// The three-digit SMTP reply code inside a Poco SMTP exception, or 0.
int ReplyCode(const std::string& text) {
  static const std::regex kCode(R"((^|[^0-9])([245][0-9][0-9])([ -]|$))");
  std::smatch m;
  if (std::regex_search(text, m, kCode)) return std::stoi(m[2].str());
  return 0;
}

std::string TemplateFor(const Email& e, const std::string& event_type, const char* ext) {
  std::string t = ReadFile(e.templates_dir + "/" + event_type + ext);
  if (t.empty()) t = ReadFile(e.templates_dir + "/default" + ext);
  return t;
}

sf_status Send(void* instance, const sf_delivery* delivery_in, sf_delivery_result* result) {
  return Guard([&]() -> sf_status {
    auto* self = static_cast<Email*>(instance);
    if (self == nullptr || delivery_in == nullptr)
      throw Error(SF_ERR_INVALID_ARGUMENT, "send needs an instance and a delivery");
    sf_delivery d = sf::sdk::CopySized(delivery_in);
    std::string to = d.destination ? d.destination : "";
    if (!ValidAddress(to)) throw Error(SF_ERR_INVALID_ARGUMENT, "email: bad address \"" + to + "\"");
    std::string event_type = d.event_type ? d.event_type : "event";
    std::string id = d.delivery_id ? d.delivery_id : "";

    nlohmann::json values = PayloadOf(&d);
    values["event_type"] = event_type;
    values["delivery_id"] = id;
    if (!values.contains("headline")) values["headline"] = ShortText(event_type, values);
    std::string unsubscribe = RenderTemplate(self->unsubscribe_url, values, false);
    values["unsubscribe_url"] = unsubscribe;

    Poco::Net::MailMessage msg;
    msg.setSender(self->from);
    msg.addRecipient(Poco::Net::MailRecipient(Poco::Net::MailRecipient::PRIMARY_RECIPIENT, to));
    msg.setSubject(Poco::Net::MailMessage::encodeWord(
        RenderTemplate(self->subject_template, values, false), "UTF-8"));
    // The same Message-ID on every retry of this delivery.
    std::string local;
    for (char c : id) local.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '.');
    msg.set("Message-ID", "<" + local + "@" + self->message_id_domain + ">");
    std::string list;
    if (!self->unsubscribe_mailto.empty()) list = "<mailto:" + self->unsubscribe_mailto + ">";
    if (!unsubscribe.empty()) list += (list.empty() ? "" : ", ") + ("<" + unsubscribe + ">");
    if (!list.empty()) msg.set("List-Unsubscribe", list);
    if (unsubscribe.rfind("https://", 0) == 0)
      msg.set("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    msg.set("Auto-Submitted", "auto-generated");
    msg.setContentType("multipart/alternative");
    msg.addPart("", new Poco::Net::StringPartSource(
                        RenderTemplate(TemplateFor(*self, event_type, ".txt"), values, false),
                        "text/plain; charset=utf-8"),
                Poco::Net::MailMessage::CONTENT_INLINE,
                Poco::Net::MailMessage::ENCODING_QUOTED_PRINTABLE);
    msg.addPart("", new Poco::Net::StringPartSource(
                        RenderTemplate(TemplateFor(*self, event_type, ".html"), values, true),
                        "text/html; charset=utf-8"),
                Poco::Net::MailMessage::CONTENT_INLINE,
                Poco::Net::MailMessage::ENCODING_QUOTED_PRINTABLE);

    SigpipeBlock no_sigpipe;
    const std::string where = "SMTP " + self->host + ":" + std::to_string(self->port);
    try {
      Poco::Net::SecureSMTPClientSession session(self->host, self->port);
      session.setTimeout(Poco::Timespan(int64_t{self->http.timeout_ms} * 1000));
      session.login(self->helo);
      if (self->starttls != "off") {
        bool secured = session.startTLS(self->tls);
        if (!secured && self->starttls == "required")
          throw Error(SF_ERR_PERMISSION, where + " does not offer STARTTLS and starttls is "
                                                 "\"required\"; refusing to send in clear text");
      }
      if (!self->username.empty()) {
        session.login(self->helo,
                      self->auth == "plain" ? Poco::Net::SMTPClientSession::AUTH_PLAIN
                                            : Poco::Net::SMTPClientSession::AUTH_LOGIN,
                      self->username, self->password);
      }
      session.sendMessage(msg);
      if (result) result->remote_status = 250;
      try {
        session.close();
      } catch (const Poco::Exception&) {
        // The message was accepted; a failed QUIT changes nothing.
      }
    } catch (const Error&) {
      throw;
    } catch (const Poco::TimeoutException&) {
      throw Error(SF_ERR_TIMEOUT, where + ": no answer within " +
                                      std::to_string(self->http.timeout_ms) + " ms");
    } catch (const Poco::Net::SSLException& ex) {
      throw Error(SF_ERR_UNAVAILABLE, where + ": TLS failed: " + ex.displayText());
    } catch (const Poco::Exception& ex) {
      int code = ReplyCode(ex.displayText());
      if (result) result->remote_status = code;
      // 5xx is the server's final word (unknown mailbox, auth refused).
      if (code >= 500) throw Error(SF_ERR_INVALID_ARGUMENT, where + ": " + ex.displayText());
      throw Error(SF_ERR_UNAVAILABLE, where + ": " + ex.displayText());
    }
    return SF_OK;
  });
}

}  // namespace

const sf_notifier_vtable kEmail = {
    sizeof(sf_notifier_vtable), SF_FLAG_THREAD_SAFE, "email",
    R"({"description":"SMTP with STARTTLS and AUTH; multipart text + HTML from templates; Message-ID, Date, List-Unsubscribe",)"
    R"("config":{"type":"object","required":["host","from","templates_dir"],"properties":{)"
    R"("host":{"type":"string"},"port":{"type":"integer"},)"
    R"("starttls":{"enum":["required","optional","off"]},"auth":{"enum":["login","plain"]},)"
    R"("username":{"type":"string"},"password":{"type":"string"},"from":{"type":"string"},)"
    R"("helo":{"type":"string"},"templates_dir":{"type":"string"},"subject":{"type":"string"},)"
    R"("unsubscribe_url":{"type":"string"},"unsubscribe_mailto":{"type":"string"},)"
    R"("message_id_domain":{"type":"string"},"timeout_ms":{"type":"integer"},"ca_file":{"type":"string"}}}})",
    Create, Destroy, Validate, Send};

}  // namespace sf::notifiers
