-- PropmailStageJson: append one chunk of an upload (JSON arrays, the guide's owners_df and
-- locations_df records) to the staging tables. Called once per bounded chunk, so no single
-- NVARCHAR(MAX) parameter has to carry a whole upload. @firstRow is the chunk's position in the
-- upload: StageRow = @firstRow + the record's index, so the last row of a key still wins.
CREATE OR ALTER PROCEDURE dbo.PropmailStageJson
    @uploadLogId INT,
    @OwnersJson NVARCHAR(MAX) = NULL,
    @LocationsJson NVARCHAR(MAX) = NULL,
    @firstRow BIGINT = 0
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    INSERT INTO dbo.PropmailStageOwner (
        UploadLogId, StageRow, Slug, Name, FirstName, LastName, Address1, Address2, City, State,
        Zip, FullAddress, IsBusiness, AlternateName, DoNotMail, MailingZip4, MailingCounty,
        AccuzipRequest, AccuzipResponse, KeepStored
    )
    SELECT
        @uploadLogId, @firstRow + CAST(r.[key] AS BIGINT), j.OwnerSlug, j.Name, j.FirstName,
        j.LastName, j.Address1, j.Address2, j.City, j.State, j.Zip, j.FullAddress, j.IsBusiness,
        j.AlternateName, j.DoNotMail, j.MailingZip4, j.MailingCounty, j.AccuzipRequest,
        j.AccuzipResponse, j.KeepStored
    FROM OPENJSON(@OwnersJson) AS r
    CROSS APPLY OPENJSON(r.value) WITH (
        OwnerSlug NVARCHAR(255) '$.OwnerSlug',
        Name NVARCHAR(255) '$.Name',
        FirstName NVARCHAR(255) '$.FirstName',
        LastName NVARCHAR(255) '$.LastName',
        Address1 NVARCHAR(255) '$.Address1',
        Address2 NVARCHAR(255) '$.Address2',
        City NVARCHAR(255) '$.City',
        State NVARCHAR(255) '$.State',
        Zip NVARCHAR(255) '$.Zip',
        FullAddress NVARCHAR(MAX) '$.FullAddress',
        IsBusiness BIT '$.IsBusiness',
        AlternateName NVARCHAR(255) '$.AlternateName',
        DoNotMail NVARCHAR(255) '$.DoNotMail',
        MailingZip4 NVARCHAR(255) '$.MailingZip4',
        MailingCounty NVARCHAR(255) '$.MailingCounty',
        AccuzipRequest NVARCHAR(MAX) '$.AccuzipRequest',
        AccuzipResponse NVARCHAR(MAX) '$.AccuzipResponse',
        KeepStored NVARCHAR(MAX) '$.KeepStored'
    ) AS j;

    INSERT INTO dbo.PropmailStageLocation (
        UploadLogId, StageRow, PrimaryId, OwnerSlug, PriorityCode, ListPriorityId,
        IsOwnerOccupied, IsTrust, IsChurch, IsBusiness, OwnerGrantorMatch, Address1, City, State,
        Zip, County, Neighborhood, Acres, SellDate, SellAmount, Grantor, EstLoanToValue,
        EstEquity, LienType, BKDate, DivorceDate, PreFcRecordingDate, Vacant, ResponseNCOA,
        KeepStored
    )
    SELECT
        @uploadLogId, @firstRow + CAST(r.[key] AS BIGINT), j.PrimaryId, j.OwnerSlug,
        j.PriorityCode, j.ListPriorityId, j.IsOwnerOccupied, j.IsTrust, j.IsChurch, j.IsBusiness,
        j.OwnerGrantorMatch, j.Address1, j.City, j.State, j.Zip, j.County, j.Neighborhood,
        j.Acres, j.SellDate, j.SellAmount, j.Grantor, j.EstLoanToValue, j.EstEquity, j.LienType,
        j.BKDate, j.DivorceDate, j.PreFcRecordingDate, j.Vacant, j.ResponseNCOA, j.KeepStored
    FROM OPENJSON(@LocationsJson) AS r
    CROSS APPLY OPENJSON(r.value) WITH (
        PrimaryId NVARCHAR(255) '$.PrimaryId',
        OwnerSlug NVARCHAR(255) '$.OwnerSlug',
        PriorityCode NVARCHAR(255) '$.PriorityCode',
        ListPriorityId INT '$.ListPriorityId',
        IsOwnerOccupied BIT '$.IsOwnerOccupied',
        IsTrust BIT '$.IsTrust',
        IsChurch BIT '$.IsChurch',
        IsBusiness BIT '$.IsBusiness',
        OwnerGrantorMatch BIT '$.OwnerGrantorMatch',
        Address1 NVARCHAR(255) '$.Address1',
        City NVARCHAR(255) '$.City',
        State NVARCHAR(255) '$.State',
        Zip NVARCHAR(255) '$.Zip',
        County NVARCHAR(255) '$.County',
        Neighborhood NVARCHAR(255) '$.Neighborhood',
        Acres FLOAT '$.Acres',
        SellDate DATE '$.SellDate',
        SellAmount FLOAT '$.SellAmount',
        Grantor NVARCHAR(255) '$.Grantor',
        EstLoanToValue FLOAT '$.EstLoanToValue',
        EstEquity FLOAT '$.EstEquity',
        LienType NVARCHAR(255) '$.LienType',
        BKDate DATE '$.BKDate',
        DivorceDate DATE '$.DivorceDate',
        PreFcRecordingDate DATE '$.PreFcRecordingDate',
        Vacant NVARCHAR(255) '$.Vacant',
        ResponseNCOA NVARCHAR(255) '$.ResponseNCOA',
        KeepStored NVARCHAR(MAX) '$.KeepStored'
    ) AS j;
END;
GO
