"""start → approve → end in django-viewflow 2.4, the smallest flow with one sign-off.

The approval is a ``flow.View`` human task assigned to the approver on creation,
as viewflow's own HelloWorld demo does; the bench completes it exactly as
viewflow's task view does on POST (lock, atomic, start, save the process, execute).
"""

from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.flow.views import UpdateProcessView


class ApprovalFlow(flow.Flow):
    start = flow.StartHandle(this.start_process).Next(this.approve)
    approve = (
        flow.View(UpdateProcessView.as_view(fields=[]))
        .Assign(username="approver")
        .Next(this.end)
    )
    end = flow.End()

    def start_process(self, activation):
        activation.process.data = {"approved": False}
        return activation.process
