package dev.ext4sim.jbd2;

import dev.ext4sim.bus.Errno;
import dev.ext4sim.jbd2.journal.ProcInfo;
import dev.ext4sim.jbd2.remote.JournalHost;
import dev.ext4sim.jbd2.remote.LoadedJournal;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** GET /v1/jbd2/info: /proc/fs/jbd2/sda1-8/info of the loaded journal, from its live statistics. */
@RestController
class InfoController {
    private final JournalHost host;

    InfoController(JournalHost host) {
        this.host = host;
    }

    @GetMapping("/v1/jbd2/info")
    ResponseEntity<?> info() {
        return host.current().map(LoadedJournal::journal)
                .<ResponseEntity<?>>map(j -> ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(j.procInfo()))
                .orElseGet(() -> {
                    ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND,
                            ProcInfo.path(host.settings().config()) + " does not exist: the journal of "
                                    + host.settings().dev() + " is not loaded (ext4 has not mounted it)");
                    p.setTitle(Errno.ENOENT.strerror());
                    p.setProperty("errno", Errno.ENOENT.name());
                    p.setProperty("code", Errno.ENOENT.code());
                    return ResponseEntity.status(HttpStatus.NOT_FOUND).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(p);
                });
    }
}
